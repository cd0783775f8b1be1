import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cliAgainst, TEAM } from "./directory-testing.ts";

const PATH = `/admin/teams/${TEAM.id}/policy`;
const RULES = [
  {
    id: "no-logos",
    kind: "blocked_terms",
    action: "block",
    terms: ["logo", "brand"],
    match: "word",
    fields: ["prompt"],
  },
  { id: "small", kind: "max_size", action: "reject", max_pixels: 262144 },
];

function view(rules: unknown[] | null, recordPrompt = false) {
  return {
    status: 200,
    body: {
      object: "team.policy",
      team_id: TEAM.id,
      policy:
        rules === null
          ? null
          : { id: "pol_0123456789abcdef", scope: { team_id: TEAM.id }, rules, record_prompt: recordPrompt },
      updated_at: rules === null ? null : "2026-12-06T00:00:00.000Z",
      updated_by: rules === null ? null : "break_glass",
    },
  };
}

const { sdgate } = cliAgainst((request) => {
  const body = request.body as { rules: unknown[]; record_prompt: boolean } | null;
  if (request.method === "PUT") return view(body?.rules ?? [], body?.record_prompt);
  if (request.method === "DELETE") return view(null);
  return view(RULES);
});

const dir = await mkdtemp(join(tmpdir(), "sdgate-policy-"));
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("sdgate teams policy", () => {
  it("shows the rules as a table", async () => {
    const shown = await sdgate(["teams", "policy", TEAM.id]);
    expect(shown.code).toBe(0);
    expect(shown.request).toMatchObject({ method: "GET", path: PATH });
    expect(shown.stdout).toMatch(/no-logos\s+blocked_terms\s+block\s+2 term\(s\), word, in prompt/);
    expect(shown.stdout).toMatch(/small\s+max_size\s+reject\s+pixels ≤ 262144/);
  });

  it("sets the rules from a JSON file, and removes the policy", async () => {
    const file = join(dir, "rules.json");
    await writeFile(file, JSON.stringify([{ id: "steps", kind: "max_steps", max: 30 }]));
    const set = await sdgate(["teams", "policy", TEAM.id, "--file", file, "--record-prompt"]);
    expect(set.request).toMatchObject({
      method: "PUT",
      path: PATH,
      body: { rules: [{ id: "steps", kind: "max_steps", max: 30 }], record_prompt: true },
    });
    expect(set.stdout).toContain("violations keep the prompt");
    const removed = await sdgate(["teams", "policy", TEAM.id, "--remove"]);
    expect(removed.request).toMatchObject({ method: "DELETE", path: PATH });
    expect(removed.stdout).toContain("no prompt policy");
  });

  it("refuses a bad command line or file before any request", async () => {
    const notJson = join(dir, "bad.json");
    await writeFile(notJson, "{ rules:");
    const object = join(dir, "object.json");
    await writeFile(object, "{}");
    for (const args of [
      ["--file", notJson],
      ["--file", object],
      ["--record-prompt"],
      ["--file", object, "--remove"],
      ["--file", join(dir, "none.json")],
    ]) {
      const refused = await sdgate(["teams", "policy", TEAM.id, ...args]);
      expect(refused.code, args.join(" ")).toBe(2);
      expect(refused.request).toBeUndefined();
    }
  });
});
