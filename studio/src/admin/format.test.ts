import type { FleetBackend } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { actorEmailOf, backendHealth, creditsOf, labelsOf, labelsText, listOf, queueOf } from "./format.ts";

const CLOSED: FleetBackend["breaker"] = {
  state: "closed",
  consecutive_failures: 0,
  last_failure: null,
  retry_at: null,
  skip_until: null,
};

describe("a backend's health in words", () => {
  it("is healthy with a closed breaker and a passing (or no) probe", () => {
    expect(backendHealth({ breaker: CLOSED, last_probe: null })).toEqual({ healthy: true, label: "Healthy" });
    const probe = { at: null, ok: true, status: 200, latency_ms: 3, detail: null };
    expect(backendHealth({ breaker: CLOSED, last_probe: probe }).healthy).toBe(true);
  });

  it("says why it is not: an open breaker with its last failure, a failed probe, a Retry-After", () => {
    expect(
      backendHealth({ breaker: { ...CLOSED, state: "open", last_failure: "connect" }, last_probe: null }),
    ).toEqual({
      healthy: false,
      label: "Unhealthy: breaker open (connect)",
    });
    const failed = { at: null, ok: false, status: 503, latency_ms: 3, detail: "status 503" };
    expect(backendHealth({ breaker: CLOSED, last_probe: failed }).label).toBe("Unhealthy: probe status 503");
    const skipped = { ...CLOSED, skip_until: "2030-01-01T00:00:00Z" };
    expect(backendHealth({ breaker: skipped, last_probe: null }, Date.parse("2029-01-01")).healthy).toBe(
      false,
    );
  });

  it("reads the queue a backend reported", () => {
    expect(queueOf({ load: null })).toBe("Not reported");
    expect(
      queueOf({ load: { queue_depth: 2, estimated_wait_ms: 1500, reported_at: null, in_flight_here: 1 } }),
    ).toBe("2 queued, ~1.5 s wait, 1 in flight here");
  });
});

describe("labels and lists as typed", () => {
  it("reads name=value lines and names the first line that is not one", () => {
    expect(labelsOf("team=search\n\n cost = 42 ")).toEqual({
      ok: true,
      labels: { team: "search", cost: "42" },
    });
    expect(labelsOf("team=search\noops")).toEqual({ ok: false, line: "oops" });
    expect(labelsText({ team: "search", cost: "42" })).toBe("team=search\ncost=42");
  });

  it("splits a comma or line list, empty as null", () => {
    expect(listOf("sd15, sd15@production\nsdxl")).toEqual(["sd15", "sd15@production", "sdxl"]);
    expect(listOf(" , ")).toBeNull();
  });
});

describe("credits and actors in words", () => {
  it("writes credits with separators and the singular for one", () => {
    expect(creditsOf(5000)).toBe("5,000 credits");
    expect(creditsOf(1)).toBe("1 credit");
  });

  it("reads the actor's email from a row's detail, when it has one", () => {
    expect(actorEmailOf({ detail: { actor_email: "ada@example.com" } })).toBe("ada@example.com");
    expect(actorEmailOf({ detail: null })).toBeNull();
    expect(actorEmailOf({ detail: { actor_email: 3 } })).toBeNull();
  });
});
