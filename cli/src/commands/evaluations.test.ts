import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiError, cliAgainst } from "./directory-testing.ts";

const ID = "evl_0123456789abcdef";
const side = (version: string, digest: string, done: number, p50: number | null) => ({
  ref: `sd15@${version}`,
  version,
  digest: digest.repeat(64),
  count: done,
  failures: version === "v3" && done > 0 ? 1 : 0,
  failure_rate: done === 0 ? null : version === "v3" ? 0.5 : 0,
  latency_ms: { p50, p95: p50 === null ? null : p50 + 100, mean: p50 },
  safety: { passed: done, blocked: 0, blurred: 0, flagged: 0 },
  flagged_rate: done === 0 ? null : 0,
});
const output = (done: boolean) => ({
  status: done ? "succeeded" : "pending",
  latency_ms: done ? 400 : null,
  image_url: done ? `/admin/evaluations/${ID}/image?index=0&side=candidate` : null,
  safety: done ? "passed" : null,
  error: null,
});
const run = (status: string, done: number) => ({
  id: ID,
  model_id: "sd15",
  status,
  baseline_ref: "production",
  steps: 20,
  size: null,
  seeds: 1,
  safety_check: true,
  created_by: "user:usr_0123456789abcdef",
  created_at: "2026-12-01T00:00:00.000Z",
  finished_at: status === "succeeded" ? "2026-12-01T00:01:00.000Z" : null,
  error: null,
  candidate: side("v3", "b", done, done === 0 ? null : 412),
  baseline: side("v2", "c", done, done === 0 ? null : 398),
  items: [0, 1].map((index) => ({
    index,
    prompt: `prompt ${index}`,
    seed: 1,
    candidate: output(index < done),
    baseline: output(index < done),
  })),
});

let reads = 0;
const { sdgate } = cliAgainst((request) => {
  if (request.method === "POST" && request.path === "/admin/models/sd15/evaluations") {
    const body = request.body as { candidate: string };
    if (body.candidate === "v9")
      return apiError(400, "invalid_request", "'sd15@v9' does not exist.", "candidate");
    return { status: 202, body: run("queued", 0) };
  }
  if (request.method === "GET" && request.path === `/admin/evaluations/${ID}`) {
    reads += 1;
    return { status: 200, body: reads < 2 ? run("running", 1) : run("succeeded", 2) };
  }
  return apiError(404, "not_found", "Not found.");
});

describe("sdgate evaluate", () => {
  it("starts a run with the options given and says how to follow and cite it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "sdgate-eval-"));
    const file = join(dir, "prompts.json");
    await writeFile(file, JSON.stringify(["a fox", "a lighthouse"]));
    const result = await sdgate([
      "evaluate",
      "sd15",
      "--candidate",
      "v3",
      "--baseline",
      "staging",
      "--prompts",
      file,
      "--seeds",
      "2",
      "--steps",
      "8",
    ]);
    expect(result.code).toBe(0);
    expect(result.request?.body).toEqual({
      candidate: "v3",
      baseline: "staging",
      prompts: ["a fox", "a lighthouse"],
      seeds: 2,
      steps: 8,
    });
    expect(result.stdout).toContain(`Started ${ID}`);
    expect(result.stdout).toContain(`"ref": "${ID}"`);
  });

  it("with --wait shows progress, then both sides side by side", async () => {
    reads = 0;
    const result = await sdgate(["evaluate", "sd15", "--candidate", "v3", "--wait", "--poll-ms", "5"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("running: candidate 1/2, baseline 1/2");
    const lines = result.stdout.split("\n");
    expect(lines[1]).toMatch(/^\s+CANDIDATE v3\s+BASELINE v2 \(production\)$/);
    expect(result.stdout).toMatch(/failure rate\s+50\.0% \(1\)\s+0\.0% \(0\)/);
    expect(result.stdout).toMatch(/latency p50\s+412 ms\s+398 ms/);
    expect(result.stdout).toMatch(/latency p95\s+512 ms\s+498 ms/);
    expect(result.stdout).toMatch(/flagged rate\s+0\.0%\s+0\.0%/);
  });

  it("needs --candidate, and reports the API's refusal", async () => {
    const missing = await sdgate(["evaluate", "sd15"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--candidate");
    const refused = await sdgate(["evaluate", "sd15", "--candidate", "v9"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("'sd15@v9' does not exist.");
  });
});

describe("sdgate evaluation", () => {
  it("shows a run and, with --items, each prompt's outcome on both sides", async () => {
    reads = 5;
    const result = await sdgate(["evaluation", ID, "--items"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${ID}: sd15 v3 against production, succeeded`);
    expect(result.stdout).toMatch(/prompt 1\s+1\s+400 ms passed\s+400 ms passed/);
  });

  it("is also sdgate models evaluation, as the models command's subcommand", async () => {
    reads = 5;
    const viaModels = await sdgate(["models", "evaluation", ID]);
    expect(viaModels.code).toBe(0);
    expect(viaModels.stdout).toContain(`${ID}: sd15 v3 against production, succeeded`);
    expect((await sdgate(["models", "evaluate", "sd15"])).code).toBe(2);
  });
});
