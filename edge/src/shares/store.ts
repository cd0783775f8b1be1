import { MAX_SHARES_LISTED, type Share, type ShareKind, type ShareLayout } from "@sdgate/shared";
import type { RunScope } from "../runs/store.ts";

/** One share as D1 keeps it (migration 0018). */
export interface ShareRow {
  id: string;
  token_hash: string;
  owner: string;
  created_by: string;
  kind: ShareKind;
  title: string;
  /** JSON of the layout. */
  layout: string;
  /** JSON array of the run ids the layout names. */
  run_ids: string;
  created_at: string;
  expires_at: string;
  revoked_at: string | null;
}

/** The owner column of a scope: `team:<id>`, or `key:<id>` for a key without a team. */
export const ownerOf = (scope: RunScope) =>
  "teamId" in scope ? `team:${scope.teamId}` : `key:${scope.keyId}`;

/** The scope an owner column names back. */
export function scopeOfOwner(owner: string): RunScope {
  return owner.startsWith("team:") ? { teamId: owner.slice(5) } : { keyId: owner.slice(4) };
}

/** A share as its team sees it. */
export function shareOf(row: ShareRow, now = new Date()): Share {
  const status =
    row.revoked_at !== null ? "revoked" : row.expires_at <= now.toISOString() ? "expired" : "active";
  return {
    object: "share",
    id: row.id,
    kind: row.kind,
    title: row.title,
    run_ids: JSON.parse(row.run_ids) as string[],
    created_at: row.created_at,
    expires_at: row.expires_at,
    revoked_at: row.revoked_at,
    status,
  };
}

/**
 * Keeps a new share.
 *
 * @example
 * await insertShare(env.DB, { id: "shr_…", token_hash, owner: "team:…", … });
 */
export async function insertShare(db: D1Database, row: ShareRow): Promise<void> {
  await db
    .prepare(
      `INSERT INTO shares (id, token_hash, owner, created_by, kind, title, layout, run_ids, created_at, expires_at, revoked_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      row.id,
      row.token_hash,
      row.owner,
      row.created_by,
      row.kind,
      row.title,
      row.layout,
      row.run_ids,
      row.created_at,
      row.expires_at,
      row.revoked_at,
    )
    .run();
}

/** The scope's shares, newest first, at most {@link MAX_SHARES_LISTED}. */
export async function listShares(db: D1Database, scope: RunScope): Promise<ShareRow[]> {
  const { results } = await db
    .prepare("SELECT * FROM shares WHERE owner = ? ORDER BY created_at DESC, id DESC LIMIT ?")
    .bind(ownerOf(scope), MAX_SHARES_LISTED)
    .all<ShareRow>();
  return results;
}

/**
 * Revokes one of the scope's shares (a share revoked before keeps its first time); `null` when the
 * scope has no such share.
 */
export async function revokeShare(
  db: D1Database,
  scope: RunScope,
  id: string,
  now = new Date(),
): Promise<ShareRow | null> {
  return db
    .prepare("UPDATE shares SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND owner = ? RETURNING *")
    .bind(now.toISOString(), id, ownerOf(scope))
    .first<ShareRow>();
}

/** The share a link opens: one with this token hash that is neither revoked nor expired; else `null`. */
export async function openShare(
  db: D1Database,
  tokenHash: string,
  now = new Date(),
): Promise<ShareRow | null> {
  return db
    .prepare("SELECT * FROM shares WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?")
    .bind(tokenHash, now.toISOString())
    .first<ShareRow>();
}

/** The layout a row keeps. */
export const layoutOf = (row: ShareRow) => JSON.parse(row.layout) as ShareLayout;

/**
 * Deletes shares that ended (expired or revoked) more than `maxAgeMs` ago: the record of what was
 * shown, kept as long as the run history keeps its runs (`SDGATE_AUDIT_RETENTION_DAYS`).
 *
 * @example
 * const deleted = await pruneShares(env.DB, config.retention.auditMs);
 */
export async function pruneShares(db: D1Database, maxAgeMs: number, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - maxAgeMs).toISOString();
  const result = await db
    .prepare("DELETE FROM shares WHERE expires_at < ? OR revoked_at < ?")
    .bind(cutoff, cutoff)
    .run();
  return result.meta.changes;
}
