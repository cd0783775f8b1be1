import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Io } from "../io.ts";
import { run } from "../run.ts";
import { loopbackServer } from "../test-server.ts";
import { bar } from "./usage.ts";

const TOKEN = "cli-test-admin-token-0123456789abcdef";
const row = (period: string, group: string, credits: number) => ({
  group,
  label: null,
  period,
  requests: 4,
  succeeded: 3,
  failed: 1,
  cache_hits: 1,
  credits,
  mean_latency_ms: 450,
  images: 3,
  gpu_seconds: 1.2,
  saved_credits: 10,
  saved_gpu_seconds: 0.4,
});
const REPORT = {
  object: "usage",
  interval: "day",
  group_by: "key",
  from: "2026-11-01T00:00:00.000Z",
  to: "2026-11-03T00:00:00.000Z",
  key_id: null,
  team_ids: null,
  view: "full",
  data: [row("2026-11-01", "key_a", 300), row("2026-11-01", "key_b", 100), row("2026-11-02", "key_a", 200)],
  totals: {
    requests: 12,
    succeeded: 9,
    failed: 3,
    cache_hits: 3,
    credits: 600,
    mean_latency_ms: 450,
    images: 9,
    gpu_seconds: 3.6,
    saved_credits: 30,
    saved_gpu_seconds: 1.2,
  },
};

let server: Awaited<ReturnType<typeof loopbackServer>>;
beforeAll(async () => {
  server = await loopbackServer(() => ({ status: 200, body: REPORT }));
});
afterAll(async () => {
  await server.close();
});

async function sdgate(args: string[]) {
  let stdout = "";
  let stderr = "";
  const env = { SDGATE_URL: server.url, SDGATE_ADMIN_TOKEN: TOKEN };
  const io: Io = { out: (t) => (stdout += t), err: (t) => (stderr += t), env, fetch: globalThis.fetch };
  const code = await run(["usage", ...args], io);
  return { code, stdout, stderr, request: server.requests.at(-1) };
}

describe("sdgate usage", () => {
  it("asks for the range and key given, and prints a table with totals and credits per day as bars", async () => {
    const { code, stdout, request } = await sdgate([
      "--key",
      "key_a",
      "--from",
      "2026-11-01",
      "--interval",
      "day",
    ]);
    expect(code).toBe(0);
    expect(request).toMatchObject({
      method: "GET",
      path: "/admin/usage?key_id=key_a&from=2026-11-01&interval=day",
    });
    const lines = stdout.split("\n");
    expect(lines).toContain("Credits per day:");
    expect(stdout).toMatch(/^PERIOD\s+KEY\s+REQUESTS\s+OK\s+FAILED\s+CACHE HITS\s+CREDITS\s+MEAN MS$/m);
    expect(stdout).toMatch(/^total\s+12\s+9\s+3\s+3\s+600\s+450$/m);
    // 2026-11-01 has 400 credits (the longest bar), 2026-11-02 half as many.
    const day1 = lines.find((line) => line.startsWith("2026-11-01  █")) ?? "";
    const day2 = lines.find((line) => line.startsWith("2026-11-02  █")) ?? "";
    expect(day1.endsWith(" 400")).toBe(true);
    expect(day2.endsWith(" 200")).toBe(true);
    expect(day1.split("█").length - 1).toBe(40);
    expect(day2.split("█").length - 1).toBe(20);
  });

  it("groups by a label with --by", async () => {
    const { request } = await sdgate(["--by", "team"]);
    expect(request?.path).toBe("/admin/usage?group_by=metadata.team");
  });

  it("prints the API's JSON with --json, and refuses an unknown interval before sending", async () => {
    expect(JSON.parse((await sdgate(["--json"])).stdout)).toEqual(REPORT);
    const sent = server.requests.length;
    const { code, stderr } = await sdgate(["--interval", "week"]);
    expect(code).toBe(2);
    expect(stderr).toContain("--interval must be day or hour");
    expect(server.requests.length).toBe(sent);
  });
});

describe("bar", () => {
  it("draws in eighths of a character, never hides a non-zero value, and nothing for zero", () => {
    expect(bar(10, 10, 4)).toBe("████");
    expect(bar(5, 10, 4)).toBe("██");
    expect(bar(1, 16, 4)).toBe("▎"); // 2 eighths
    expect(bar(1, 8, 4)).toBe("▌"); // 4 eighths
    expect(bar(1, 10_000, 4)).toBe("▏");
    expect(bar(0, 10, 4)).toBe("");
  });
});
