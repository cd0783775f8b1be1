import { env } from "cloudflare:workers";
import { Keyring } from "@sdgate/shared";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { keyringFor } from "../jobs/keyring.ts";
import {
  FAKE_ADAPTERS,
  FAKE_ARCHITECTURES,
  FAKE_STATUS,
  FAKE_TINY_DIGESTS,
} from "../test-support/fake-backends.ts";
import { fleetEnv, post, seedRoomyKey } from "../test-support/fleet.ts";
import { callsTo, fakes, uniquePrompt } from "../test-support/harness.ts";
import { fetchBackendStatus } from "./client.ts";
import type { Backend } from "./registry.ts";

beforeAll(() => {
  vi.spyOn(console, "warn").mockImplementation(() => {});
});

describe("synchronous requests carry their context to the backend", () => {
  it("send each key's tenant, a deadline at the edge's timeout and the request id, signed for that backend", async () => {
    const a = await seedRoomyKey();
    const b = await seedRoomyKey();
    const testEnv = fleetEnv(["healthy"], { overrides: { SDGATE_BACKEND_TIMEOUT_MS: "45000" } });
    const prompts = [uniquePrompt(), uniquePrompt()] as const;
    const answers = [
      await post({ prompt: prompts[0], seed: 1 }, a.key, testEnv),
      await post({ prompt: prompts[1], seed: 1 }, b.key, testEnv),
    ];
    const calls = [(await callsTo("healthy", prompts[0]))[0], (await callsTo("healthy", prompts[1]))[0]];
    // The backend's fair queue takes turns by these (tenantOf: the key, or its owner once keys have one).
    expect(calls.map((call) => call?.tenant)).toEqual([a.id, b.id]);
    for (const [i, call] of calls.entries()) {
      expect(answers[i]?.status).toBe(200);
      expect(call).toMatchObject({ signature: "ok", audience: "fake-healthy" });
      expect(call?.requestId).toBe(answers[i]?.headers.get("x-request-id"));
      // now + the edge's backend timeout, as the edge stops waiting then (allowing for the call's own time)
      const untilDeadlineMs = Number(call?.deadline) - (call?.receivedAtMs ?? 0);
      expect(untilDeadlineMs).toBeGreaterThan(45_000 - 2_000);
      expect(untilDeadlineMs).toBeLessThanOrEqual(45_000);
    }
  });

  it("sign a failed-over attempt anew, for the backend it goes to", async () => {
    const { key } = await seedRoomyKey();
    const testEnv = fleetEnv([
      { behaviour: "flaky", name: "gpu-east" },
      { behaviour: "healthyB", name: "gpu-west" },
    ]);
    const prompt = uniquePrompt();
    expect((await post({ prompt, seed: 1 }, key, testEnv)).status).toBe(200);
    expect((await callsTo("flaky", prompt)).map((call) => call.audience)).toEqual(["gpu-east"]);
    expect((await callsTo("healthyB", prompt)).map((call) => call.audience)).toEqual(["gpu-west"]);
  });
});

describe("a backend's signed status", () => {
  const backend: Backend = {
    name: "fake-healthy",
    url: fakes.urls.healthy,
    provider: "fake",
    region: "local",
    priority: 0,
  };

  it("gives its models and step times to the edge's keyring", async () => {
    const status = await fetchBackendStatus(backend, keyringFor(env.SDGATE_HMAC_KEYS), 2_000);
    expect(status).toEqual({
      ready: true,
      status: {
        ...FAKE_STATUS,
        versions: { tiny: FAKE_TINY_DIGESTS.common },
        adapters: FAKE_ADAPTERS,
        architectures: FAKE_ARCHITECTURES,
      },
    });
  });

  it("is refused to any other signer", async () => {
    const stranger = new Keyring([{ id: "edge-test", secret: "x".repeat(48) }]);
    expect(await fetchBackendStatus(backend, stranger, 2_000)).toBeNull();
    const unsigned = await fetch(`${backend.url}/internal/v1/status`);
    expect(unsigned.status).toBe(401);
  });
});
