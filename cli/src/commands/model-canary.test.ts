import { describe, expect, it } from "vitest";
import { cliAgainst } from "./directory-testing.ts";

const SPLIT = {
  id: "spl_0123456789abcdef",
  model_id: "sd15",
  alias: "production",
  to_alias: "canary",
  weight: 10,
  max_error_rate: 0.05,
  max_p95_ms: 60_000,
  min_requests: 20,
  started_at: "2026-12-06T00:00:00.000Z",
  started_by: "usr_approver",
};

function view(split: typeof SPLIT | null, lastEnded: Record<string, unknown> | null = null) {
  return {
    object: "alias.split",
    model_id: "sd15",
    alias: "production",
    split,
    stable_version: "v3",
    canary_version: split ? "v4" : null,
    stats: split
      ? [
          { version: "v3", requests: 90, errors: 0, error_rate: 0, p50_ms: 900, p95_ms: 1_400 },
          { version: "v4", requests: 10, errors: 1, error_rate: 0.1, p50_ms: 950, p95_ms: 1_600 },
        ]
      : [],
    last_ended: lastEnded,
  };
}

const { sdgate } = cliAgainst((request) => {
  if (request.method === "PUT") return { status: 200, body: view({ ...SPLIT, ...(request.body as object) }) };
  if (request.method === "DELETE")
    return {
      status: 200,
      body: view(null, {
        id: SPLIT.id,
        reason: "stopped",
        ended_at: "2026-12-06T01:00:00.000Z",
        ended_by: "usr_approver",
        detail: {},
      }),
    };
  return { status: 200, body: view(SPLIT) };
});

describe("sdgate models canary", () => {
  it("shows the split and each version's numbers", async () => {
    const shown = await sdgate(["models", "canary", "sd15", "production"]);
    expect(shown.code).toBe(0);
    expect(shown.request).toMatchObject({
      method: "GET",
      path: "/admin/models/sd15/aliases/production/split",
    });
    expect(shown.stdout).toContain("sd15@production: 10 % to canary (v4), the rest v3");
    expect(shown.stdout).toMatch(/^v4\s+canary\s+10\s+10\.0 %\s+950\s+1600$/m);
    expect(shown.stdout).toMatch(/^v3\s+stable\s+90\s+0\.0 %\s+900\s+1400$/m);
  });

  it("starts one with its budgets, and stops it", async () => {
    const started = await sdgate([
      "models",
      "canary",
      "sd15",
      "production",
      "--weight",
      "5",
      "--to",
      "canary",
      "--max-error-rate",
      "0.02",
      "--max-p95-ms",
      "20000",
      "--min-requests",
      "50",
    ]);
    expect(started.code).toBe(0);
    expect(started.request).toMatchObject({
      method: "PUT",
      body: { weight: 5, to_alias: "canary", max_error_rate: 0.02, max_p95_ms: 20_000, min_requests: 50 },
    });
    const stopped = await sdgate(["models", "canary", "sd15", "production", "--stop"]);
    expect(stopped.request).toMatchObject({ method: "DELETE" });
    expect(stopped.stdout).toContain("no canary split (serving v3)");
    expect(stopped.stdout).toContain("stopped by usr_approver");
  });

  it("refuses a bad command line before any request", async () => {
    for (const args of [
      ["sd15"],
      ["sd15", "production", "--weight", "many"],
      ["sd15", "production", "--to", "canary"],
      ["sd15", "production", "--stop", "--weight", "5"],
    ]) {
      const refused = await sdgate(["models", "canary", ...args]);
      expect(refused.code).toBe(2);
      expect(refused.request, args.join(" ")).toBeUndefined();
    }
  });
});
