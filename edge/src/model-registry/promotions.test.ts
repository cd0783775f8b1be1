import { emptySideStats } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { newEvaluationId } from "../evaluations/plan.ts";
import { saveEvaluation } from "../evaluations/store.ts";
import { aliasHistory, bootstrapAlias, getAlias, resolveRef } from "./aliases.ts";
import {
  approvePromotion,
  getPromotion,
  listPromotions,
  rejectPromotion,
  requestPromotion,
} from "./promotions.ts";
import { db, modelWithVersions, versionBody } from "./testing.ts";
import { registerVersion } from "./versions.ts";

const [alice, bob, carol] = ["usr_alice0000000000", "usr_bob000000000000", "usr_carol0000000000"];

async function requested(model: string, to_version: string, by = alice, alias = "production") {
  const result = await requestPromotion(db, model, { alias, to_version, comment: "looks better" }, by);
  if (!result.ok) expect.fail(result.error.message);
  return result.value.after;
}

/** A model whose production alias was bootstrapped at v1, then given versions up to v`count`. */
async function withVersions(count: number): Promise<string> {
  const [v1] = await modelWithVersions(1);
  if (!v1) expect.fail("no v1");
  const booted = await bootstrapAlias(db, v1.model_id, "production", "system", { bootstrap: true });
  if (!booted.ok) expect.fail(booted.error.message);
  for (let i = 1; i < count; i++) {
    const registered = await registerVersion(db, v1.model_id, versionBody(), alice);
    if (!registered.ok) expect.fail(registered.error.message);
  }
  return v1.model_id;
}

describe("promotion requests", () => {
  it("record who asked, the evidence, and where the alias stood", async () => {
    const model = await withVersions(2);
    const evidence = [
      { kind: "experiment" as const, ref: "exp_0123", note: "FID 12.1 → 11.4" },
      { kind: "link" as const, ref: "https://wandb.example/run/7", note: "" },
    ];
    const now = new Date("2026-12-06T10:00:00.000Z");
    const result = await requestPromotion(
      db,
      model,
      { alias: "production", to_version: "v2", comment: "sharper", evidence },
      alice,
      now,
    );
    expect(result).toEqual({
      ok: true,
      value: {
        before: null,
        after: {
          id: expect.stringMatching(/^prm_[0-9a-f]{16}$/),
          model_id: model,
          alias: "production",
          from_version: "v1",
          to_version: "v2",
          requested_by: alice,
          requested_at: now.toISOString(),
          comment: "sharper",
          evidence,
          status: "pending",
          decided_by: null,
          decided_at: null,
          decision_comment: null,
        },
      },
    });
    if (!result.ok) return;
    expect(await getPromotion(db, result.value.after.id)).toEqual(result.value.after);
    expect(await listPromotions(db, model, "pending")).toEqual([result.value.after]);
    // Requesting moves nothing.
    expect(await getAlias(db, model, "production")).toMatchObject({ version: "v1", revision: 1 });
  });

  it("refuse a version that does not exist, the version already there, and bad input", async () => {
    const model = await withVersions(2);
    expect(await requestPromotion(db, model, { alias: "production", to_version: "v3" }, alice)).toMatchObject(
      {
        ok: false,
        error: { code: "not_found", ref: `${model}@v3` },
      },
    );
    expect(await requestPromotion(db, model, { alias: "production", to_version: "v1" }, alice)).toMatchObject(
      {
        ok: false,
        error: { code: "invalid", message: expect.stringContaining("already points at v1") },
      },
    );
    expect(await requestPromotion(db, model, { alias: "v2", to_version: "v2" }, alice)).toMatchObject({
      ok: false,
      error: { code: "invalid", message: expect.stringContaining("'alias'") },
    });
    expect(await listPromotions(db, model)).toEqual([]);
  });

  it("accept an evaluation run as evidence only if it evaluated this model's requested version", async () => {
    const model = await withVersions(3);
    const other = await withVersions(2);
    const run = await evaluationRun(model, "v2");
    const cite = (ref: string) => [{ kind: "evaluation" as const, ref }];
    const ask = (to_version: string, ref: string, on = model) =>
      requestPromotion(db, on, { alias: "production", to_version, evidence: cite(ref) }, alice);
    const refused = (detail: string) => ({
      ok: false,
      error: {
        code: "invalid",
        message: expect.stringMatching(new RegExp(`^Invalid 'evidence': .*${detail}`)),
        param: "evidence",
      },
    });

    expect(await ask("v2", "evl_0000000000000000")).toMatchObject(refused("does not exist"));
    expect(await ask("v3", run)).toMatchObject(refused(`evaluated ${model}@v2, not v3`));
    expect(await ask("v2", run, other)).toMatchObject(refused(`evaluated ${model}, not ${other}`));
    expect(await listPromotions(db, model)).toEqual([]);

    const accepted = await ask("v2", run);
    expect(accepted).toMatchObject({
      ok: true,
      value: { after: { evidence: [{ kind: "evaluation", ref: run }] } },
    });
  });
});

/** An evaluation run of `model`'s `candidate`, as its object records it (no generation runs here). */
async function evaluationRun(model: string, candidate: string): Promise<string> {
  const id = newEvaluationId();
  const side = emptySideStats(`${model}@${candidate}`, candidate, "a".repeat(64));
  await saveEvaluation(db, {
    id,
    model_id: model,
    status: "succeeded",
    baseline_ref: "production",
    steps: 2,
    size: null,
    seeds: 1,
    safety_check: false,
    created_by: alice,
    created_at: new Date().toISOString(),
    finished_at: new Date().toISOString(),
    error: null,
    candidate: side,
    baseline: { ...side, ref: `${model}@v1`, version: "v1" },
    items: [],
  });
  return id;
}

describe("approving a promotion", () => {
  it("moves the alias, bumps its revision and adds to its history", async () => {
    const model = await withVersions(2);
    const request = await requested(model, "v2");
    const now = new Date("2026-12-06T11:00:00.000Z");
    const approved = await approvePromotion(
      db,
      request.id,
      bob,
      { comment: "ship it", expectedRevision: 1 },
      now,
    );
    if (!approved.ok) expect.fail(approved.error.message);
    expect(approved.value.before).toEqual({
      request,
      alias: expect.objectContaining({ version: "v1", revision: 1, promotion_id: null }),
    });
    expect(approved.value.after).toEqual({
      request: {
        ...request,
        status: "approved",
        decided_by: bob,
        decided_at: now.toISOString(),
        decision_comment: "ship it",
      },
      alias: {
        model_id: model,
        name: "production",
        version: "v2",
        revision: 2,
        updated_at: now.toISOString(),
        updated_by: bob,
        promotion_id: request.id,
      },
    });
    expect((await resolveRef(db, model)).ok && (await resolveRef(db, model))).toMatchObject({
      value: { version: { version: "v2" } },
    });
    const history = await aliasHistory(db, model, "production");
    expect(
      history.map((move) => [
        move.from_version,
        move.to_version,
        move.revision,
        move.reason,
        move.promotion_id,
      ]),
    ).toEqual([
      [null, "v1", 1, "bootstrap", null],
      ["v1", "v2", 2, "promotion", request.id],
    ]);
  });

  it("creates an alias that did not exist, from nothing", async () => {
    const model = await withVersions(2);
    const request = await requested(model, "v2", alice, "staging");
    expect(request.from_version).toBeNull();
    const approved = await approvePromotion(db, request.id, bob, { expectedRevision: 0 });
    expect(approved).toMatchObject({
      ok: true,
      value: { before: { alias: null }, after: { alias: { version: "v2", revision: 1 } } },
    });
  });

  it("is refused to the person who asked", async () => {
    const model = await withVersions(2);
    const request = await requested(model, "v2", alice);
    expect(await approvePromotion(db, request.id, alice)).toMatchObject({
      ok: false,
      error: { code: "self_approval" },
    });
    expect(await getPromotion(db, request.id)).toEqual(request);
    expect(await getAlias(db, model, "production")).toMatchObject({ version: "v1", revision: 1 });
    // The table refuses it too, whatever path the write takes.
    await expect(
      db
        .prepare(
          "UPDATE promotion_requests SET status = 'approved', decided_by = ?, decided_at = 'x' WHERE id = ?",
        )
        .bind(alice, request.id)
        .run(),
    ).rejects.toThrow(/CHECK/);
  });

  it("is refused for a request already decided, and for an unknown one", async () => {
    const model = await withVersions(2);
    const request = await requested(model, "v2");
    expect((await approvePromotion(db, request.id, bob)).ok).toBe(true);
    expect(await approvePromotion(db, request.id, carol)).toMatchObject({
      ok: false,
      error: { code: "not_pending", status: "approved" },
    });
    expect(await approvePromotion(db, "prm_0000000000000000", bob)).toMatchObject({
      ok: false,
      error: { code: "not_found" },
    });
  });

  it("with a stale revision is a conflict that moves nothing", async () => {
    const model = await withVersions(2);
    const request = await requested(model, "v2");
    expect(await approvePromotion(db, request.id, bob, { expectedRevision: 7 })).toMatchObject({
      ok: false,
      error: { code: "conflict", current: { version: "v1", revision: 1 } },
    });
    expect(await getPromotion(db, request.id)).toMatchObject({ status: "pending" });
    expect(await aliasHistory(db, model, "production")).toHaveLength(1);
  });

  it("twice at once from one base: exactly one wins, the other is a conflict", async () => {
    const model = await withVersions(3);
    const [toV2, toV3] = [await requested(model, "v2"), await requested(model, "v3")];
    const results = await Promise.all([
      approvePromotion(db, toV2.id, bob, { expectedRevision: 1 }),
      approvePromotion(db, toV3.id, carol, { expectedRevision: 1 }),
    ]);
    const winners = results.filter((result) => result.ok);
    expect(winners).toHaveLength(1);
    expect(results.find((result) => !result.ok)).toMatchObject({
      ok: false,
      error: { code: "conflict", current: { revision: 2 } },
    });
    const history = await aliasHistory(db, model, "production");
    expect(history).toHaveLength(2);
    expect((await getAlias(db, model, "production"))?.revision).toBe(2);
  });

  it("supersedes the other pending requests from the same base for that alias", async () => {
    const model = await withVersions(3);
    const [toV2, toV3] = [await requested(model, "v2"), await requested(model, "v3", carol)];
    const staging = await requested(model, "v3", carol, "staging");
    const approved = await approvePromotion(db, toV2.id, bob);
    if (!approved.ok) expect.fail(approved.error.message);
    expect(approved.value.superseded).toEqual([toV3.id]);
    expect(await getPromotion(db, toV3.id)).toMatchObject({
      status: "superseded",
      decided_by: bob,
      decision_comment: `Superseded by ${toV2.id}.`,
    });
    expect(await getPromotion(db, staging.id)).toMatchObject({ status: "pending" });
    expect(await approvePromotion(db, toV3.id, bob)).toMatchObject({
      ok: false,
      error: { code: "not_pending", status: "superseded" },
    });
  });
});

describe("rejecting and rolling back", () => {
  it("a rejection leaves the alias where it is", async () => {
    const model = await withVersions(2);
    const request = await requested(model, "v2");
    const rejected = await rejectPromotion(db, request.id, bob, { comment: "FID regressed" });
    expect(rejected).toMatchObject({
      ok: true,
      value: {
        before: request,
        after: { status: "rejected", decided_by: bob, decision_comment: "FID regressed" },
      },
    });
    expect(await rejectPromotion(db, request.id, bob)).toMatchObject({
      ok: false,
      error: { code: "not_pending" },
    });
    expect(await approvePromotion(db, request.id, bob)).toMatchObject({
      ok: false,
      error: { code: "not_pending" },
    });
    expect(await getAlias(db, model, "production")).toMatchObject({ version: "v1", revision: 1 });
  });

  it("a rollback is a new approved move to an earlier version; the history keeps every move", async () => {
    const model = await withVersions(2);
    const forward = await requested(model, "v2");
    expect((await approvePromotion(db, forward.id, bob)).ok).toBe(true);
    const back = await requested(model, "v1", carol);
    expect(back.from_version).toBe("v2");
    expect(await approvePromotion(db, back.id, carol)).toMatchObject({
      ok: false,
      error: { code: "self_approval" },
    });
    const approved = await approvePromotion(db, back.id, alice, { expectedRevision: 2 });
    expect(approved).toMatchObject({ ok: true, value: { after: { alias: { version: "v1", revision: 3 } } } });
    const history = await aliasHistory(db, model, "production");
    expect(history.map((move) => [move.from_version, move.to_version, move.revision, move.reason])).toEqual([
      [null, "v1", 1, "bootstrap"],
      ["v1", "v2", 2, "promotion"],
      ["v2", "v1", 3, "rollback"],
    ]);
    await expect(
      db.prepare("DELETE FROM alias_history WHERE model_id = ?").bind(model).run(),
    ).rejects.toThrow(/never deleted/);
  });
});
