import {
  type Alias,
  type PromotionBody,
  type PromotionRequest,
  type PromotionStatus,
  promotionBodySchema,
  type Result,
  randomHex,
  versionNumber,
} from "@sdgate/shared";
import { evaluationEvidenceProblem } from "../evaluations/store.ts";
import { getAlias } from "./aliases.ts";
import { getModel } from "./models.ts";
import {
  ALIAS_COLUMNS,
  type AliasRow,
  aliasFromRow,
  allOf,
  type Change,
  firstInBatch,
  firstOf,
  invalid,
  MOVE_COLUMNS,
  notFound,
  PROMOTION_COLUMNS,
  type Problem,
  type PromotionRow,
  promotionFromRow,
} from "./records.ts";
import { getVersion } from "./versions.ts";

/** A new promotion request's id, `prm_` and 64 bits from the CSPRNG. */
const newPromotionId = () => `prm_${randomHex(8)}`;

export async function getPromotion(db: D1Database, id: string): Promise<PromotionRequest | null> {
  return firstOf(
    db.prepare(`SELECT ${PROMOTION_COLUMNS} FROM promotion_requests WHERE id = ?`).bind(id),
    promotionFromRow,
  );
}

/** A model's promotion requests, newest first, of one status if asked. */
export async function listPromotions(
  db: D1Database,
  modelId: string,
  status?: PromotionStatus,
): Promise<PromotionRequest[]> {
  return allOf(
    db
      .prepare(
        `SELECT ${PROMOTION_COLUMNS} FROM promotion_requests WHERE model_id = ?1 AND (?2 IS NULL OR status = ?2)
       ORDER BY requested_at DESC, id`,
      )
      .bind(modelId, status ?? null),
    promotionFromRow,
  );
}

export type RequestPromotionProblem = Problem<"invalid" | "not_found">;

/**
 * Asks for `alias` to point at `to_version`, recording where it points now as `from_version`. A
 * rollback is the same request naming an earlier version: history is never rewritten.
 *
 * @example
 * const requested = await requestPromotion(env.DB, "sd15", { alias: "production", to_version: "v3" }, actor);
 * if (requested.ok) audit("model.promotion.request", requested.value);
 */
export async function requestPromotion(
  db: D1Database,
  modelId: string,
  body: PromotionBody,
  actor: string,
  now: Date = new Date(),
): Promise<Result<Change<PromotionRequest> & { after: PromotionRequest }, RequestPromotionProblem>> {
  const parsed = promotionBodySchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: invalid(parsed.error) };
  const { alias: name, to_version, comment, evidence } = parsed.data;
  if (!(await getModel(db, modelId))) return { ok: false, error: notFound(modelId, "Model") };
  if (!(await getVersion(db, modelId, to_version)))
    return { ok: false, error: notFound(`${modelId}@${to_version}`, "Version") };
  // An evaluation cited as evidence must be of this model and of the version asked for.
  const evidenceProblem = await evaluationEvidenceProblem(db, modelId, to_version, evidence);
  if (evidenceProblem !== null)
    return {
      ok: false,
      error: { code: "invalid", message: `Invalid 'evidence': ${evidenceProblem}`, param: "evidence" },
    };
  const alias = await getAlias(db, modelId, name);
  if (alias?.version === to_version)
    return {
      ok: false,
      error: { code: "invalid", message: `'${modelId}@${name}' already points at ${to_version}.` },
    };
  const row = await db
    .prepare(
      `INSERT INTO promotion_requests (id, model_id, alias, from_version, to_version, requested_by, requested_at, comment, evidence)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${PROMOTION_COLUMNS}`,
    )
    .bind(
      newPromotionId(),
      modelId,
      name,
      alias ? versionNumber(alias.version) : null,
      versionNumber(to_version),
      actor,
      now.toISOString(),
      comment,
      JSON.stringify(evidence),
    )
    .first<PromotionRow>();
  if (!row) throw new Error("Inserting a promotion request returned no row.");
  return { ok: true, value: { before: null, after: promotionFromRow(row) } };
}

export interface Decision {
  comment?: string;
  /** The alias revision the approver saw (0: the alias did not exist); absent: the current one. */
  expectedRevision?: number;
}

export interface Approved {
  before: { request: PromotionRequest; alias: Alias | null };
  after: { request: PromotionRequest; alias: Alias };
  /** Other pending requests from the same base for the same alias, now `superseded`. */
  superseded: string[];
}

export type ApprovePromotionProblem = Problem<"not_found" | "not_pending" | "self_approval" | "conflict">;

const notPending = (request: PromotionRequest): Problem<"not_pending"> => ({
  code: "not_pending",
  status: request.status,
  message: `Promotion request ${request.id} is ${request.status}, not pending.`,
});

function conflict(request: PromotionRequest, alias: Alias | null, expected: number): Problem<"conflict"> {
  const current = { version: alias?.version ?? null, revision: alias?.revision ?? 0 };
  const where = current.version ? `${current.version} (revision ${current.revision})` : "nothing";
  return {
    code: "conflict",
    current,
    message: `'${request.model_id}@${request.alias}' now points at ${where}; the request was made from ${
      request.from_version ?? "nothing"
    } and approved against revision ${expected}.`,
  };
}

/**
 * Approves a pending request and moves its alias, in one transaction, only if the alias still stands
 * where the request found it and at the revision the approver saw (`UPDATE … WHERE revision = ?`):
 * of two concurrent approvals exactly one wins, the other is a `conflict`. The requester can never
 * approve their own request (`self_approval`; the table refuses it too). Other pending requests from
 * the same base for the same alias become `superseded`. Whether the approver holds `models.approve` is
 * the route's to check.
 *
 * @example
 * const approved = await approvePromotion(env.DB, "prm_…", approver, { expectedRevision: 4 });
 * if (!approved.ok && approved.error.code === "conflict") return conflict409(approved.error.message);
 */
export async function approvePromotion(
  db: D1Database,
  requestId: string,
  approver: string,
  decision: Decision = {},
  now: Date = new Date(),
): Promise<Result<Approved, ApprovePromotionProblem>> {
  const request = await getPromotion(db, requestId);
  if (!request) return { ok: false, error: notFound(requestId, "Promotion request") };
  if (request.status !== "pending") return { ok: false, error: notPending(request) };
  if (request.requested_by === approver)
    return {
      ok: false,
      error: {
        code: "self_approval",
        message: `Promotion request ${request.id} was made by ${approver}: someone else must approve it.`,
      },
    };
  const before = await getAlias(db, request.model_id, request.alias);
  const expected = decision.expectedRevision ?? before?.revision ?? 0;
  if ((before?.version ?? null) !== request.from_version || (before?.revision ?? 0) !== expected)
    return { ok: false, error: conflict(request, before, expected) };

  const from = request.from_version === null ? null : versionNumber(request.from_version);
  const to = versionNumber(request.to_version);
  const reason = from === null || (to ?? 0) > from ? "promotion" : "rollback";
  const at = now.toISOString();
  const pending = "EXISTS (SELECT 1 FROM promotion_requests WHERE id = ?3 AND status = 'pending')";
  // Only this approval writes this request's id on the alias: the later statements follow it.
  const moved =
    "EXISTS (SELECT 1 FROM model_aliases WHERE model_id = ?1 AND name = ?2 AND promotion_id = ?3)";
  const move =
    from === null
      ? db
          .prepare(
            `INSERT INTO model_aliases (${ALIAS_COLUMNS}) SELECT ?1, ?2, ?4, 1, ?5, ?6, ?3
             WHERE ?7 = 0 AND ${pending} ON CONFLICT DO NOTHING RETURNING ${ALIAS_COLUMNS}`,
          )
          .bind(request.model_id, request.alias, request.id, to, at, approver, expected)
      : db
          .prepare(
            `UPDATE model_aliases SET version = ?4, revision = revision + 1, updated_at = ?5, updated_by = ?6,
               promotion_id = ?3
             WHERE model_id = ?1 AND name = ?2 AND revision = ?7 AND version = ?8 AND ${pending}
             RETURNING ${ALIAS_COLUMNS}`,
          )
          .bind(request.model_id, request.alias, request.id, to, at, approver, expected, from);
  const [aliasRows, , requestRows, supersededRows] = await db.batch([
    move,
    db
      .prepare(
        `INSERT INTO alias_history (${MOVE_COLUMNS})
         SELECT model_id, name, ?4, version, revision, updated_at, updated_by, promotion_id, ?5
         FROM model_aliases WHERE model_id = ?1 AND name = ?2 AND promotion_id = ?3`,
      )
      .bind(request.model_id, request.alias, request.id, from, reason),
    db
      .prepare(
        `UPDATE promotion_requests SET status = 'approved', decided_by = ?4, decided_at = ?5, decision_comment = ?6
         WHERE id = ?3 AND status = 'pending' AND ${moved} RETURNING ${PROMOTION_COLUMNS}`,
      )
      .bind(request.model_id, request.alias, request.id, approver, at, decision.comment ?? ""),
    db
      .prepare(
        `UPDATE promotion_requests SET status = 'superseded', decided_by = ?4, decided_at = ?5, decision_comment = ?6
         WHERE model_id = ?1 AND alias = ?2 AND id <> ?3 AND status = 'pending' AND from_version IS ?7 AND ${moved}
         RETURNING id`,
      )
      .bind(request.model_id, request.alias, request.id, approver, at, `Superseded by ${request.id}.`, from),
  ]);
  const aliasRow = firstInBatch<AliasRow>(aliasRows);
  const requestRow = firstInBatch<PromotionRow>(requestRows);
  if (!aliasRow || !requestRow) {
    // Someone else moved the alias or decided the request between our read and our write.
    const [latest, alias] = [
      await getPromotion(db, requestId),
      await getAlias(db, request.model_id, request.alias),
    ];
    if ((alias?.revision ?? 0) !== expected || !latest)
      return { ok: false, error: conflict(request, alias, expected) };
    return { ok: false, error: notPending(latest) };
  }
  return {
    ok: true,
    value: {
      before: { request, alias: before },
      after: { request: promotionFromRow(requestRow), alias: aliasFromRow(aliasRow) },
      superseded: ((supersededRows?.results ?? []) as { id: string }[]).map((row) => row.id),
    },
  };
}

/**
 * Rejects a pending request; the alias stays where it is. A requester may reject (withdraw) their own.
 *
 * @example
 * const rejected = await rejectPromotion(env.DB, "prm_…", approver, { comment: "FID regressed" });
 */
export async function rejectPromotion(
  db: D1Database,
  requestId: string,
  actor: string,
  decision: Pick<Decision, "comment"> = {},
  now: Date = new Date(),
): Promise<
  Result<{ before: PromotionRequest; after: PromotionRequest }, Problem<"not_found" | "not_pending">>
> {
  const before = await getPromotion(db, requestId);
  if (!before) return { ok: false, error: notFound(requestId, "Promotion request") };
  const row = await db
    .prepare(
      `UPDATE promotion_requests SET status = 'rejected', decided_by = ?, decided_at = ?, decision_comment = ?
       WHERE id = ? AND status = 'pending' RETURNING ${PROMOTION_COLUMNS}`,
    )
    .bind(actor, now.toISOString(), decision.comment ?? "", requestId)
    .first<PromotionRow>();
  if (row) return { ok: true, value: { before, after: promotionFromRow(row) } };
  const current = await getPromotion(db, requestId);
  return { ok: false, error: notPending(current ?? before) };
}
