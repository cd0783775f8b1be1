import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliAgainst } from "./directory-testing.ts";

const RULES = [
  {
    id: "no-ghosts",
    kind: "blocked_terms",
    action: "block",
    terms: ["ghost"],
    match: "word",
    fields: ["prompt"],
  },
];

function view(
  alias: string,
  body: { rules?: unknown[]; record_prompt?: boolean; safety_check?: string } | null,
) {
  return {
    object: "model.policy",
    model_id: "sd15",
    alias,
    policy:
      body === null
        ? null
        : {
            id: "pol_0123456789abcdef",
            scope: { model: "sd15", alias },
            rules: body.rules ?? [],
            record_prompt: body.record_prompt ?? false,
          },
    safety_check: body?.safety_check ?? "off",
    updated_at: body === null ? null : "2026-12-06T00:00:00.000Z",
    updated_by: body === null ? null : "break_glass",
  };
}

const { sdgate } = cliAgainst((request) => {
  const path = request.path.split("?")[0] ?? "";
  if (path === "/admin/models/sd15/policies")
    return {
      status: 200,
      body: { object: "list", data: [view("*", { rules: RULES, safety_check: "blur" })] },
    };
  const alias = decodeURIComponent(path.split("/").at(-1) ?? "");
  const body = request.body as { rules: unknown[]; safety_check?: string } | null;
  if (request.method === "PUT") return { status: 200, body: view(alias, body) };
  if (request.method === "DELETE") return { status: 200, body: view(alias, null) };
  return { status: 200, body: view(alias, { rules: RULES, safety_check: "flag" }) };
});

const dir = await mkdtemp(join(tmpdir(), "sdgate-model-policy-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("sdgate models policy", () => {
  it("shows an alias's rules and safety check, and lists a model's policies", async () => {
    const shown = await sdgate(["models", "policy", "sd15", "production"]);
    expect(shown.code).toBe(0);
    expect(shown.request).toMatchObject({ method: "GET", path: "/admin/models/sd15/policies/production" });
    expect(shown.stdout).toContain("sd15@production: pol_0123456789abcdef");
    expect(shown.stdout).toContain("safety check flag");
    expect(shown.stdout).toMatch(/no-ghosts\s+blocked_terms\s+block\s+1 term\(s\), word, in prompt/);
    const listed = await sdgate(["models", "policies", "sd15"]);
    expect(listed.stdout).toMatch(/^\*\s+1\s+blur\s+break_glass/m);
  });

  it("sets the model's default from a file of rules or a policy object, and removes it", async () => {
    const rules = join(dir, "rules.json");
    await writeFile(rules, JSON.stringify([{ id: "steps", kind: "max_steps", max: 30 }]));
    const set = await sdgate(["models", "policy", "sd15", "*", "--file", rules, "--safety-check", "block"]);
    expect(set.code).toBe(0);
    expect(set.request).toMatchObject({
      method: "PUT",
      path: "/admin/models/sd15/policies/*",
      body: { rules: [{ id: "steps", kind: "max_steps", max: 30 }], safety_check: "block" },
    });
    expect(set.stdout).toContain("sd15@*:");
    const object = join(dir, "policy.json");
    await writeFile(object, JSON.stringify({ rules: [], record_prompt: true, safety_check: "flag" }));
    const fromObject = await sdgate(["registry", "policy", "sd15", "staging", "--file", object]);
    expect(fromObject.request).toMatchObject({
      body: { rules: [], record_prompt: true, safety_check: "flag" },
    });
    const removed = await sdgate(["models", "policy", "sd15", "staging", "--remove"]);
    expect(removed.request).toMatchObject({ method: "DELETE", path: "/admin/models/sd15/policies/staging" });
    expect(removed.stdout).toContain("sd15@staging: no policy");
  });

  it("refuses a bad command line or file before any request", async () => {
    const text = join(dir, "text.json");
    await writeFile(text, '"rules"');
    for (const args of [
      ["sd15"],
      ["sd15", "production", "--safety-check", "blur"],
      ["sd15", "production", "--file", text],
      ["sd15", "production", "--file", text, "--remove"],
      ["sd15", "production", "--file", join(dir, "none.json")],
    ]) {
      const refused = await sdgate(["models", "policy", ...args]);
      expect(refused.code, args.join(" ")).toBe(2);
    }
    const rules = join(dir, "empty.json");
    await writeFile(rules, "[]");
    const badSetting = await sdgate([
      "models",
      "policy",
      "sd15",
      "production",
      "--file",
      rules,
      "--safety-check",
      "maybe",
    ]);
    expect(badSetting.code).toBe(2);
    expect(badSetting.stderr).toContain("--safety-check must be one of off, block, blur, flag");
  });
});
