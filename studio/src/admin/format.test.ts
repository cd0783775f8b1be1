import type { FleetBackend, KeyView } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import {
  actorEmailOf,
  backendHealth,
  creditsOf,
  filterAudit,
  filterKeys,
  labelsOf,
  labelsText,
  listOf,
  queueOf,
} from "./format.ts";

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

function key(fields: Partial<KeyView>): KeyView {
  return {
    id: "key_1",
    name: "ci",
    prefix: "sk_1234",
    scopes: ["read"],
    limits: { requests_per_minute: 60, concurrency: 1, credits: null },
    models: null,
    allowed_ips: null,
    metadata: {},
    created_at: "",
    expires_at: null,
    last_used_at: null,
    revoked_at: null,
    status: "active",
    ...fields,
  };
}

describe("the key list's filters", () => {
  const keys = [
    key({ id: "key_a", name: "CI runner", metadata: { team: "search" } }),
    key({ id: "key_b", name: "old", status: "revoked" }),
  ];

  it("matches the name, id or a label whatever its case, and the status", () => {
    expect(filterKeys(keys, { text: "ci", status: "" }).map((k) => k.id)).toEqual(["key_a"]);
    expect(filterKeys(keys, { text: "team=SEARCH", status: "" }).map((k) => k.id)).toEqual(["key_a"]);
    expect(filterKeys(keys, { text: "", status: "revoked" }).map((k) => k.id)).toEqual(["key_b"]);
    expect(filterKeys(keys, { text: "key_", status: "" })).toHaveLength(2);
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

describe("the audit page's filters", () => {
  const row = (seq: number, actor: string, action: string) => ({
    seq,
    at: "",
    actor,
    action,
    key_id: null,
    request_hash: null,
    backend: null,
    status: 200,
    latency_ms: null,
    cost: null,
    detail: null,
    prev_hash: "",
    hash: "",
  });

  it("keeps the rows whose action and actor contain the filters", () => {
    const rows = [row(1, "user:usr_1", "key.create"), row(2, "break_glass", "team.create")];
    expect(filterAudit(rows, { action: "KEY.", actor: "" }).map((r) => r.seq)).toEqual([1]);
    expect(filterAudit(rows, { action: "", actor: "glass" }).map((r) => r.seq)).toEqual([2]);
  });
});
