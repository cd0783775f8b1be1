import {
  type AdapterKind,
  type AdapterRecord,
  type AdapterStatus,
  type RegisterAdapterBody,
  type Result,
  registerAdapterBodySchema,
} from "@sdgate/shared";
import type { Change } from "../identity/directory/index.ts";
import {
  ADAPTER_COLUMNS,
  type AdapterProblem,
  type AdapterRow,
  adapterFromRow,
  adapterLabel,
  appliesToJson,
  invalidBody,
} from "./records.ts";

type Changed = Result<Change<AdapterRecord> & { after: AdapterRecord }, AdapterProblem>;

export async function getAdapterRecord(
  db: D1Database,
  kind: AdapterKind,
  name: string,
): Promise<AdapterRecord | null> {
  const row = await db
    .prepare(`SELECT ${ADAPTER_COLUMNS} FROM adapters WHERE kind = ? AND name = ?`)
    .bind(kind, name)
    .first<AdapterRow>();
  return row ? adapterFromRow(row) : null;
}

/** Registered adapters by kind and name, of one kind or status if asked. */
export async function listAdapterRecords(
  db: D1Database,
  filter: { kind?: AdapterKind | undefined; status?: AdapterStatus | undefined } = {},
): Promise<AdapterRecord[]> {
  const { results } = await db
    .prepare(
      `SELECT ${ADAPTER_COLUMNS} FROM adapters WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR status = ?2)
       ORDER BY kind, name`,
    )
    .bind(filter.kind ?? null, filter.status ?? null)
    .all<AdapterRow>();
  return results.map(adapterFromRow);
}

/**
 * Registers a LoRA or ControlNet model as `pending`: no request may name it until someone other than
 * `actor` approves it. A kind and name registered before (whatever became of it) is refused.
 *
 * @example
 * const registered = await registerAdapter(env.DB, { kind: "lora", name: "ink", digest, applies_to: ["sd15"] }, actor);
 */
export async function registerAdapter(
  db: D1Database,
  body: RegisterAdapterBody,
  actor: string,
  now: Date = new Date(),
): Promise<Changed> {
  const parsed = registerAdapterBodySchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: invalidBody(parsed.error) };
  const { kind, name, digest, applies_to, description, source_uri } = parsed.data;
  const row = await db
    .prepare(
      `INSERT INTO adapters (kind, name, digest, applies_to, description, source_uri, registered_by, registered_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING ${ADAPTER_COLUMNS}`,
    )
    .bind(
      kind,
      name,
      digest,
      appliesToJson([...new Set(applies_to)]),
      description,
      source_uri,
      actor,
      now.toISOString(),
    )
    .first<AdapterRow>();
  if (row) return { ok: true, value: { before: null, after: adapterFromRow(row) } };
  const existing = await getAdapterRecord(db, kind, name);
  return {
    ok: false,
    error: {
      code: "name_taken",
      message: `A ${kind} named '${name}' is registered already (${existing?.status ?? "just now"}); names are never reused, register the new file under another name.`,
    },
  };
}

/** What each decision does: the statuses it applies to and the one it sets. */
export const ADAPTER_DECISIONS = {
  approve: { from: ["pending"], to: "approved" },
  reject: { from: ["pending"], to: "rejected" },
  deprecate: { from: ["approved"], to: "deprecated" },
  remove: { from: ["approved", "deprecated"], to: "removed" },
} as const satisfies Record<string, { from: readonly AdapterStatus[]; to: AdapterStatus }>;
export type AdapterDecision = keyof typeof ADAPTER_DECISIONS;

/**
 * Approves, rejects, deprecates or removes an adapter. Approving is refused to whoever registered it
 * (the table refuses it too); each decision applies only from the statuses {@link ADAPTER_DECISIONS}
 * lists, checked in the same statement that writes it, so two approvers racing decide once.
 *
 * @example
 * const approved = await decideAdapter(env.DB, "lora", "ink", "approve", approver, "looked at samples");
 */
export async function decideAdapter(
  db: D1Database,
  kind: AdapterKind,
  name: string,
  decision: AdapterDecision,
  actor: string,
  comment: string,
  now: Date = new Date(),
): Promise<Changed> {
  const before = await getAdapterRecord(db, kind, name);
  const label = adapterLabel(kind, name);
  if (before === null)
    return { ok: false, error: { code: "not_found", message: `Adapter '${label}' does not exist.` } };
  if (decision === "approve" && before.registered_by === actor)
    return {
      ok: false,
      error: {
        code: "self_approval",
        message: `'${label}' was registered by you; someone else with 'models.approve' must approve it.`,
      },
    };
  const { from, to } = ADAPTER_DECISIONS[decision];
  const at = now.toISOString();
  const approving = decision === "approve";
  const row = await db
    .prepare(
      `UPDATE adapters SET status = ?3, changed_by = ?4, changed_at = ?5, comment = ?6,
         approved_by = CASE WHEN ?7 THEN ?4 ELSE approved_by END,
         approved_at = CASE WHEN ?7 THEN ?5 ELSE approved_at END
       WHERE kind = ?1 AND name = ?2 AND status IN (SELECT value FROM json_each(?8))
       RETURNING ${ADAPTER_COLUMNS}`,
    )
    .bind(kind, name, to, actor, at, comment, approving ? 1 : 0, JSON.stringify(from))
    .first<AdapterRow>();
  if (row) return { ok: true, value: { before, after: adapterFromRow(row) } };
  const current = (await getAdapterRecord(db, kind, name))?.status ?? before.status;
  return {
    ok: false,
    error: {
      code: "wrong_status",
      message: `'${label}' is ${current}; it can become ${to} only when ${from.join(" or ")}.`,
    },
  };
}
