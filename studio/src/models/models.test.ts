import type { EvaluationSideStats, Fleet, Principal, PromotionRequest, SplitView } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { isOwnRequest, mayOnRegistry } from "./access.ts";
import { emptyEvaluationDraft, evaluationBodyOf, metricRows } from "./evaluation-view.ts";
import { duration, percent } from "./format.ts";
import { policyBodyOf, policyDraftOf, ruleSummary } from "./policy-draft.ts";
import { aliasesByVersion, pendingFirst, servedBy, splitSummary, versionState } from "./registry-view.ts";

const person = (roles: Principal["roles"], teams: Principal["teams"] = []): Principal => ({
  object: "principal",
  kind: "user",
  id: "usr_1",
  name: "Ada",
  email: null,
  roles,
  teams,
  permissions: [],
});

const request = (status: PromotionRequest["status"], requested_by = "user:usr_2"): PromotionRequest => ({
  id: `prm_${status}`,
  model_id: "tiny",
  alias: "staging",
  from_version: null,
  to_version: "v2",
  requested_by,
  requested_at: "2026-12-06T22:00:00.000Z",
  comment: "",
  evidence: [],
  status,
  decided_by: null,
  decided_at: null,
  decision_comment: null,
});

describe("who may act on the registry", () => {
  it("takes a global role only: a team's developer may not ask for promotions there", () => {
    expect(mayOnRegistry(person(["model_approver"]), "models.approve")).toBe(true);
    expect(mayOnRegistry(person(["model_approver"]), "models.register")).toBe(false);
    expect(
      mayOnRegistry(person([], [{ id: "team_1", name: "ml", role: "developer" }]), "models.register"),
    ).toBe(false);
    expect(mayOnRegistry(person(["admin"]), "policies.manage")).toBe(true);
  });

  it("knows the person's own requests by the registry's actor name", () => {
    expect(isOwnRequest(person(["admin"]), request("pending", "user:usr_1"))).toBe(true);
    expect(isOwnRequest(person(["admin"]), request("pending", "system:npm-start"))).toBe(false);
  });
});

describe("the registry's views", () => {
  it("lists each version's aliases, sorted", () => {
    const byVersion = aliasesByVersion([
      { name: "staging", version: "v2" },
      { name: "canary", version: "v2" },
      { name: "production", version: "v1" },
    ]);
    expect(byVersion.get("v2")).toEqual(["canary", "staging"]);
    expect(byVersion.get("v1")).toEqual(["production"]);
    expect(byVersion.get("v3")).toBeUndefined();
  });

  it("names the backends that report a version's digest for the model, or none while none has reported", () => {
    const fleet = {
      backends: [
        { name: "a", versions: { tiny: "d1" } },
        { name: "b", versions: { tiny: "d2" } },
        { name: "c", versions: null },
      ],
    } as unknown as Fleet;
    expect(servedBy(fleet, "tiny", "d1")).toEqual(["a"]);
    expect(servedBy(fleet, "other", "d1")).toEqual([]);
    expect(
      servedBy({ backends: [{ name: "c", versions: null }] } as unknown as Fleet, "tiny", "d1"),
    ).toBeNull();
  });

  it("says which aliases a version serves and which it awaits approval for", () => {
    const aliases = [{ name: "production", version: "v1" }];
    expect(versionState("v1", aliases, [])).toBe("serves production");
    expect(versionState("v2", aliases, [request("pending"), request("rejected")])).toBe(
      "awaiting approval for staging",
    );
    expect(versionState("v3", aliases, [])).toBe("registered, on no alias");
  });

  it("puts pending requests first, keeping the API's order otherwise", () => {
    const sorted = pendingFirst([request("approved"), request("pending"), request("rejected")]);
    expect(sorted.map((r) => r.status)).toEqual(["pending", "approved", "rejected"]);
  });

  it("says a split's weight, sides and budgets, and that the last one rolled back by itself", () => {
    const view: SplitView = {
      object: "alias.split",
      model_id: "tiny",
      alias: "production",
      split: {
        id: "spl_1",
        model_id: "tiny",
        alias: "production",
        to_alias: "canary",
        weight: 10,
        max_error_rate: 0.05,
        max_p95_ms: 20_000,
        min_requests: 50,
        started_at: "2026-12-06T22:00:00.000Z",
        started_by: "user:usr_1",
      },
      stable_version: "v1",
      canary_version: "v2",
      stats: [],
      last_ended: {
        id: "spl_0",
        reason: "rolled_back",
        ended_at: "2026-12-06T21:00:00.000Z",
        ended_by: "system",
        detail: {},
      },
    };
    expect(splitSummary(view)).toBe(
      "10 % of production goes to canary (v2), the rest to v1; rolls back past 5.0 % errors or a p95 above 20.0 s, " +
        "after 50 canary requests. The last split was rolled back by itself on 6 Dec 2026, 21:00 UTC (by system).",
    );
    expect(splitSummary({ ...view, split: null, last_ended: null })).toBe(
      "No canary split: all of production goes to v1.",
    );
  });
});

describe("evaluations", () => {
  const side = (version: string, p95: number | null): EvaluationSideStats => ({
    ref: `tiny@${version}`,
    version,
    digest: "ab".repeat(32),
    count: 2,
    failures: 1,
    failure_rate: 0.5,
    latency_ms: { p50: 800, p95: p95, mean: 900 },
    safety: { passed: 1, blocked: 0, blurred: 0, flagged: 0 },
    flagged_rate: 0,
  });

  it("sets each recorded number of the candidate beside the baseline's", () => {
    const rows = metricRows({ candidate: side("v2", 2_400), baseline: side("v1", null) });
    expect(rows.find((row) => row.label === "Latency p95")).toEqual({
      label: "Latency p95",
      candidate: "2.4 s",
      baseline: "—",
    });
    expect(rows.find((row) => row.label === "Failures")?.candidate).toBe("1 (50.0 %)");
    expect(rows.find((row) => row.label === "Version")?.baseline).toBe("v1 · abababababab");
  });

  it("sends the prompts typed, one a line, or none for the built-in set", () => {
    const draft = { ...emptyEvaluationDraft("v2"), prompts: " a fox \n\na cat\n", steps: "2", size: "64x64" };
    expect(evaluationBodyOf(draft)).toEqual({
      candidate: "v2",
      baseline: "production",
      seeds: 1,
      steps: 2,
      prompts: ["a fox", "a cat"],
      size: "64x64",
    });
    expect(evaluationBodyOf(emptyEvaluationDraft("v2"))).not.toHaveProperty("prompts");
    expect(evaluationBodyOf(emptyEvaluationDraft("v2"))).not.toHaveProperty("size");
  });

  it("formats rates and durations for people", () => {
    expect(percent(0.025)).toBe("2.5 %");
    expect(percent(null)).toBe("—");
    expect(duration(850)).toBe("850 ms");
    expect(duration(2_400)).toBe("2.4 s");
  });
});

describe("the policy editor", () => {
  it("reads a policy into its fields and writes them back", () => {
    const draft = policyDraftOf(null);
    expect(draft).toEqual({ rules: "[]", recordPrompt: false, safetyCheck: "off" });
    expect(policyBodyOf({ ...draft, safetyCheck: "blur" })).toEqual({
      ok: true,
      body: { rules: [], record_prompt: false, safety_check: "blur" },
    });
  });

  it("says plainly when the rules are not a JSON list", () => {
    expect(policyBodyOf({ rules: "{", recordPrompt: false, safetyCheck: "off" })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^Rules: not JSON/),
    });
    expect(policyBodyOf({ rules: "{}", recordPrompt: false, safetyCheck: "off" })).toEqual({
      ok: false,
      message: "Rules: must be a JSON list of rules ([ … ]).",
    });
  });

  it("sums a rule up in a few words", () => {
    expect(
      ruleSummary({
        id: "no-gore",
        kind: "blocked_terms",
        terms: ["a", "b"],
        match: "word",
        fields: ["prompt"],
        action: "block",
      }),
    ).toBe("no-gore: blocked terms (2), block");
  });
});
