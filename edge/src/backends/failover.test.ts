import { type ErrorEnvelope, MAX_RELAYED_MESSAGE_CHARS, statusOf } from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import type { AttemptOutcome } from "./client.ts";
import { failoverOver, SERVED, TWO_BACKENDS } from "./failover-testing.ts";
import { HealthView } from "./health.ts";

/** Failover over two backends whose first answers `envelope` with a 400; the calls made, and the result. */
async function rejectedWith(error: ErrorEnvelope["error"]) {
  const rejected: AttemptOutcome = {
    kind: "rejected",
    status: 400,
    envelope: { error, request_id: "req_backend" },
    load: null,
  };
  const { calls, result } = await failoverOver({}, {}, exampleResolvedRequest(), rejected);
  if (result.ok) throw new Error("a rejected request was served");
  return { calls, error: result.error };
}

const invalid = (message: string, param: string | null): ErrorEnvelope["error"] => ({
  type: "invalid_request_error",
  code: "invalid_request",
  message,
  param,
});

describe("a backend's 4xx, passed on by failover", () => {
  it("reaches the client with the backend's code, param and message, from that backend alone", async () => {
    const message = "Invalid 'prompt': has to nest ( and [ at most 64 deep, but is 65 deep.";
    const { calls, error } = await rejectedWith(invalid(message, "prompt"));
    expect(calls).toEqual(["ours"]);
    expect(error).toMatchObject({ code: "invalid_request", message, param: "prompt", backend: "ours" });
    expect(statusOf(error.code)).toBe(400);
  });

  it("cleans control characters out of the backend's message and cuts a long one", async () => {
    const { error } = await rejectedWith(
      invalid(`Invalid\u001b]8;;https://example.com\u0007 'prompt':\r\n${"x".repeat(10_000)}`, "prompt"),
    );
    expect(error.message).not.toMatch(/\p{Cc}/u);
    expect(error.message.startsWith("Invalid ]8;;https://example.com 'prompt': xxx")).toBe(true);
    expect(Array.from(error.message)).toHaveLength(MAX_RELAYED_MESSAGE_CHARS);
  });

  it("drops a param that names no field", async () => {
    const { error } = await rejectedWith(invalid("Invalid request.", "see https://example.com"));
    expect(error).toMatchObject({ code: "invalid_request", param: null });
  });
});

describe("a request for a registry version", () => {
  const DIGEST = "e".repeat(64);
  const request = { ...exampleResolvedRequest(), model_version: { version: "v2", digest: DIGEST } };
  const versionMiss: AttemptOutcome = {
    kind: "failed",
    reason: "status",
    status: 503,
    retryAfter: null,
    retryAfterMs: null,
    load: null,
    envelope: {
      error: { type: "api_error", code: "model_version_unavailable", message: "Not here.", param: "model" },
      request_id: "req_backend",
    },
  };

  const run = (held: Record<string, Record<string, string>>, answers: Record<string, AttemptOutcome>) =>
    failoverOver(held, answers, request, versionMiss);
  const served = SERVED;

  it("goes only to the backends that reported holding its digest", async () => {
    const { calls, result } = await run(
      { ours: { tiny: "f".repeat(64) }, spare: { tiny: DIGEST } },
      { spare: served },
    );
    expect(result.ok).toBe(true);
    expect(calls).toEqual(["spare"]);
  });

  it("takes a holder's refusal (its files moved on) as no failure of its own, and tries the next holder", async () => {
    const { calls, reports, result } = await run(
      { ours: { tiny: DIGEST }, spare: { tiny: DIGEST } },
      { spare: served },
    );
    expect(result.ok).toBe(true);
    expect(calls).toEqual(["ours", "spare"]);
    expect(reports).toEqual([]);
  });

  it("lets requests that arrive during a refresh of what backends hold wait for it", async () => {
    let release: (held: Record<string, Record<string, string>>) => void = () => {};
    let refreshes = 0;
    const health = new HealthView(
      () => ({
        sync: async () => ({ states: {}, probes: {}, versions: {} }),
        report: async () => {
          throw new Error("not reported");
        },
        takeProbe: async () => true,
        refreshVersions: () => {
          refreshes += 1;
          return new Promise((resolve) => {
            release = resolve;
          });
        },
      }),
      TWO_BACKENDS.breaker,
    );
    const first = health.refreshVersions(TWO_BACKENDS.pools, 0);
    const second = health.refreshVersions(TWO_BACKENDS.pools, 1);
    release({ spare: { tiny: DIGEST } });
    expect(await Promise.all([first, second])).toEqual([true, true]);
    expect(refreshes).toBe(1);
    expect(health.holds("spare", "tiny", DIGEST)).toBe(true);
  });

  it("answers 503 naming the version when no backend holds it, after asking them once", async () => {
    const { calls, refreshes, result } = await run({ ours: { tiny: "f".repeat(64) } }, {});
    expect(calls).toEqual([]);
    expect(refreshes).toBe(1);
    if (result.ok) throw new Error("served a version nobody holds");
    expect(result.error).toMatchObject({ code: "model_version_unavailable", param: "model" });
    expect(result.error.message).toContain("tiny@v2 (sha256 eeeeeeeeeeee…)");
  });
});
