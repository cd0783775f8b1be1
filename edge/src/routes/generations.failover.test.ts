import { beforeAll, describe, expect, it, vi } from "vitest";
import {
  callsTo,
  type Envelope,
  edgeEnv,
  generate,
  seedApiKey,
  uniquePrompt,
} from "../test-support/harness.ts";

let key: string;
beforeAll(async () => {
  key = await seedApiKey(["generate"]);
  // Failed attempts are logged as warnings; keep the test output readable.
  vi.spyOn(console, "warn").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});

const FAST_TIMEOUT = { SDGATE_BACKEND_TIMEOUT_MS: "300" };

describe("failover", () => {
  it("serves from the second backend when the first answers 503", async () => {
    const prompt = uniquePrompt();
    const res = await generate({ prompt }, { key, env: edgeEnv(["unavailable", "healthyB"]) });
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Backend")).toBe("fake-healthyB");
    expect(res.headers.get("X-Attempts")).toBe("2");
    expect(await callsTo("unavailable", prompt)).toHaveLength(1);
    expect(await callsTo("healthyB", prompt)).toHaveLength(1);
  });

  it("serves from the second backend when nothing listens on the first", async () => {
    const res = await generate({ prompt: uniquePrompt() }, { key, env: edgeEnv(["down", "healthyB"]) });
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Backend")).toBe("fake-healthyB");
    expect(res.headers.get("X-Attempts")).toBe("2");
  });

  it("moves on after a 429, a malformed answer or a timeout", async () => {
    for (const first of ["rateLimited", "malformed", "slow"] as const) {
      const prompt = uniquePrompt();
      const res = await generate({ prompt }, { key, env: edgeEnv([first, "healthy"], FAST_TIMEOUT) });
      expect(res.status, first).toBe(200);
      expect(res.headers.get("X-Attempts"), first).toBe("2");
      expect(await callsTo(first, prompt), first).toHaveLength(1);
    }
  });

  it("tries backends in priority order, not listed order", async () => {
    const env = edgeEnv(["healthy", "healthyB"]);
    const listed = JSON.parse(env.SDGATE_BACKENDS) as Array<{ priority: number }>;
    listed.reverse().forEach((backend, i) => {
      backend.priority = i;
    });
    const res = await generate(
      { prompt: uniquePrompt() },
      { key, env: { ...env, SDGATE_BACKENDS: JSON.stringify(listed) } },
    );
    expect(res.headers.get("X-Backend")).toBe("fake-healthyB");
  });

  it("answers 503 backend_unavailable when every backend fails, each tried once", async () => {
    const prompt = uniquePrompt();
    const res = await generate({ prompt }, { key, env: edgeEnv(["unavailable", "down", "rateLimited"]) });
    expect(res.status).toBe(503);
    expect(res.headers.get("X-Attempts")).toBe("3");
    expect(res.headers.get("Retry-After")).toBe("2"); // the soonest any backend suggested
    expect(res.headers.get("X-Backend")).toBeNull();
    const body = (await res.json()) as Envelope;
    expect(body.error).toMatchObject({ code: "backend_unavailable", type: "api_error", param: null });
    expect(await callsTo("unavailable", prompt)).toHaveLength(1);
    expect(await callsTo("rateLimited", prompt)).toHaveLength(1);
  });

  it("answers 504 timeout when the last backend timed out", async () => {
    const res = await generate(
      { prompt: uniquePrompt() },
      { key, env: edgeEnv(["down", "slow"], FAST_TIMEOUT) },
    );
    expect(res.status).toBe(504);
    expect(((await res.json()) as Envelope).error.code).toBe("timeout");
  });

  it("answers 502 backend_error when the last backend's answer was malformed", async () => {
    const res = await generate(
      { prompt: uniquePrompt() },
      { key, env: edgeEnv(["unavailable", "malformed"]) },
    );
    expect(res.status).toBe(502);
    expect(((await res.json()) as Envelope).error.code).toBe("backend_error");
  });
});
