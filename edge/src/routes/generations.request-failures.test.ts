import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { fleetEnv, post, seedRoomyKey } from "../test-support/fleet.ts";
import { callsTo, type Envelope, uniquePrompt } from "../test-support/harness.ts";

let key: string;
let keyId: string;
beforeAll(async () => {
  ({ key, id: keyId } = await seedRoomyKey());
  vi.spyOn(console, "warn").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});

async function failuresOf(fleet: string, backend: string): Promise<number> {
  const snapshot = await env.BACKEND_HEALTH.getByName(fleet).describe();
  return snapshot.states[backend]?.consecutiveFailures ?? 0;
}

// Two pools on the `flaky` fake (500 "Engine crashed." to every request), as two providers would be.
const twoCrashing = [
  { behaviour: "flaky", name: "crash-a" },
  { behaviour: "flaky", name: "crash-b" },
  "healthy",
] as const;

describe("a failure caused by the request", () => {
  it("that two backends repeat word for word is a 422, tried on no third backend, and costs no backend its health", async () => {
    const testEnv = fleetEnv(twoCrashing);
    const prompt = uniquePrompt();
    const res = await post({ prompt, seed: 1 }, key, testEnv);
    expect(res.status).toBe(422);
    const body = (await res.json()) as Envelope;
    expect(body.error.code).toBe("generation_failed");
    expect(body.error.message).toContain("Engine crashed.");
    expect(res.headers.get("X-Attempts")).toBe("2");
    expect(await callsTo("healthy", prompt)).toHaveLength(0);
    // Even many such requests leave both breakers closed, with nothing counted.
    for (let i = 0; i < 6; i++)
      expect((await post({ prompt: uniquePrompt(), seed: 1 }, key, testEnv)).status).toBe(422);
    expect(await failuresOf(testEnv.fleet, "crash-a")).toBe(0);
    expect(await failuresOf(testEnv.fleet, "crash-b")).toBe(0);
    expect((await env.KEY_STATE.getByName(keyId).snapshot()).inFlight).toBe(0);
  });

  it("counts against the backend when another backend serves the same request", async () => {
    const testEnv = fleetEnv([{ behaviour: "flaky", name: "crash-a" }, "healthy"]);
    const res = await post({ prompt: uniquePrompt(), seed: 1 }, key, testEnv);
    expect(res.status).toBe(200);
    expect(await failuresOf(testEnv.fleet, "crash-a")).toBe(1);
  });

  it("counts against the backend when no second backend could have the request", async () => {
    const testEnv = fleetEnv([{ behaviour: "flaky", name: "crash-a" }]);
    const res = await post({ prompt: uniquePrompt(), seed: 1 }, key, testEnv);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(await failuresOf(testEnv.fleet, "crash-a")).toBe(1);
  });
});
