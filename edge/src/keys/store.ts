import type { KeyStatus } from "@sdgate/shared";
import { type KeyLimits, keyLimitsSchema } from "../limits/policy.ts";
import { type ApiKey, knownScopes } from "./api-key.ts";

/** A key as D1 records it (never its secret). */
export interface StoredKey extends ApiKey {
  prefix: string;
  revoked_at: string | null;
  last_used_at: string | null;
  /** Labels for people and usage reports (`team`, `cost_center`, …); never used to authorise. */
  metadata?: Record<string, string>;
}

export interface StoredSecret {
  hash: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
}

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: string;
  limits: string;
  created_at: string;
  revoked_at: string | null;
  last_used_at: string | null;
  models: string | null;
  expires_at: string | null;
  allowed_ips: string | null;
  metadata: string | null;
}

/** Raised when a D1 row does not parse: a server-side problem, never the caller's. */
export class CorruptKeyRowError extends Error {
  override readonly name = "CorruptKeyRowError";
}

function fromRow(row: KeyRow): StoredKey {
  const { models: modelsJson, expires_at, allowed_ips: ipsJson, metadata: metadataJson, ...rest } = row;
  const scopes = JSON.parse(row.scopes) as unknown;
  const limits = keyLimitsSchema.safeParse(JSON.parse(row.limits));
  const models = modelsJson === null ? undefined : (JSON.parse(modelsJson) as unknown);
  const ips = ipsJson === null ? undefined : (JSON.parse(ipsJson) as unknown);
  const lists = [models, ips].every((list) => list === undefined || Array.isArray(list));
  const metadata = metadataJson === null ? undefined : (JSON.parse(metadataJson) as unknown);
  const labels = metadata === undefined || (typeof metadata === "object" && metadata !== null);
  if (!Array.isArray(scopes) || !limits.success || !lists || !labels)
    throw new CorruptKeyRowError(`Key ${row.id} is malformed in D1.`);
  // A scope that no longer exists (`admin`) is dropped, so it is neither shown nor written back.
  const key: StoredKey = {
    ...rest,
    scopes: knownScopes(scopes.map(String)),
    limits: limits.data as KeyLimits,
  };
  if (Array.isArray(models)) key.models = models.map(String);
  if (expires_at !== null) key.expires_at = expires_at;
  if (Array.isArray(ips)) key.allowed_ips = ips.map(String);
  if (metadata !== undefined) key.metadata = metadata as Record<string, string>;
  return key;
}

/** What `GET /admin/keys` filters by; each one given narrows the list. */
export interface KeyListFilters {
  teamId?: string;
  status?: KeyStatus;
  /** Part of the name, id or prefix, whatever its case. */
  text?: string;
  createdByUserId?: string;
  /** When a key's expiry counts as passed (`status`); now unless a test says. */
  now?: Date;
}

/**
 * The filters as SQL over `api_keys`. A key's status is the one `publicKey` reports: revoked once
 * `revoked_at` is set, else expired once `expires_at` (ISO 8601 UTC, so it compares as text) is past.
 * The text is matched with `instr`, never as a pattern.
 */
function keyListWhere(filters: KeyListFilters): { where: string[]; bindings: string[] } {
  const where: string[] = [];
  const bindings: string[] = [];
  if (filters.teamId !== undefined) {
    where.push("team_id = ?");
    bindings.push(filters.teamId);
  }
  if (filters.createdByUserId !== undefined) {
    where.push("created_by_user_id = ?");
    bindings.push(filters.createdByUserId);
  }
  if (filters.text !== undefined) {
    where.push("instr(lower(name || char(10) || id || char(10) || prefix), lower(?)) > 0");
    bindings.push(filters.text);
  }
  const now = (filters.now ?? new Date()).toISOString();
  if (filters.status === "revoked") where.push("revoked_at IS NOT NULL");
  else if (filters.status === "expired") {
    where.push("revoked_at IS NULL AND expires_at <= ?");
    bindings.push(now);
  } else if (filters.status === "active") {
    where.push("revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)");
    bindings.push(now);
  }
  return { where, bindings };
}

const KEY_COLUMNS =
  "id, name, prefix, scopes, limits, created_at, revoked_at, last_used_at, models, expires_at, allowed_ips, metadata";

/**
 * The D1 tables `api_keys` and `api_key_secrets` (edge/migrations/0001_keys_and_audit.sql).
 *
 * @example
 * const keys = d1KeyStore(env.DB);
 * const key = await keys.get("key_0f1e2d3c4b5a6978");
 */
export function d1KeyStore(db: D1Database) {
  return {
    async insert(key: StoredKey, secret: StoredSecret): Promise<void> {
      await db.batch([
        db
          .prepare(`INSERT INTO api_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
          .bind(
            key.id,
            key.name,
            key.prefix,
            JSON.stringify(key.scopes),
            JSON.stringify(key.limits),
            key.created_at,
            key.revoked_at,
            key.last_used_at,
            key.models === undefined ? null : JSON.stringify(key.models),
            key.expires_at ?? null,
            key.allowed_ips === undefined ? null : JSON.stringify(key.allowed_ips),
            key.metadata === undefined ? null : JSON.stringify(key.metadata),
          ),
        insertSecret(db, key.id, secret),
      ]);
    },

    async get(id: string): Promise<StoredKey | null> {
      const row = await db
        .prepare(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE id = ?`)
        .bind(id)
        .first<KeyRow>();
      return row ? fromRow(row) : null;
    },

    /**
     * Newest first, only the keys that pass `filters` (each one given narrows the list); `before` is
     * the `created_at|id` cursor of the last key of the previous page under the same filters.
     */
    async list(query: {
      limit: number;
      before: { createdAt: string; id: string } | null;
      filters?: KeyListFilters;
    }): Promise<StoredKey[]> {
      const { where, bindings } = keyListWhere(query.filters ?? {});
      if (query.before) {
        where.push("(created_at, id) < (?, ?)");
        bindings.push(query.before.createdAt, query.before.id);
      }
      const { results } = await db
        .prepare(
          `SELECT ${KEY_COLUMNS} FROM api_keys ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at DESC, id DESC LIMIT ?`,
        )
        .bind(...bindings, query.limit)
        .all<KeyRow>();
      return results.map(fromRow);
    },

    async secrets(keyId: string): Promise<StoredSecret[]> {
      const { results } = await db
        .prepare("SELECT hash, prefix, created_at, expires_at FROM api_key_secrets WHERE key_id = ?")
        .bind(keyId)
        .all<StoredSecret>();
      return results;
    },

    /** The key a secret hash belongs to, and when that secret expires; `null` if unknown or revoked. */
    async findByHash(hash: string): Promise<{ key: StoredKey; expires_at: string | null } | null> {
      const row = await db
        .prepare(
          `SELECT ${KEY_COLUMNS.split(", ")
            .map((column) => `k.${column}`)
            .join(", ")}, s.expires_at AS secret_expires_at
           FROM api_key_secrets s JOIN api_keys k ON k.id = s.key_id
           WHERE s.hash = ? AND k.revoked_at IS NULL`,
        )
        .bind(hash)
        .first<KeyRow & { secret_expires_at: string | null }>();
      if (!row) return null;
      const { secret_expires_at, ...key } = row;
      return { key: fromRow(key), expires_at: secret_expires_at };
    },

    /** Writes a key's name, scopes, limits, models and expiry (what `PATCH /admin/keys/{id}` changes). */
    async update(key: StoredKey): Promise<void> {
      await db
        .prepare(
          "UPDATE api_keys SET name = ?, scopes = ?, limits = ?, models = ?, expires_at = ?, allowed_ips = ?, metadata = ? WHERE id = ?",
        )
        .bind(
          key.name,
          JSON.stringify(key.scopes),
          JSON.stringify(key.limits),
          key.models === undefined ? null : JSON.stringify(key.models),
          key.expires_at ?? null,
          key.allowed_ips === undefined ? null : JSON.stringify(key.allowed_ips),
          key.metadata === undefined ? null : JSON.stringify(key.metadata),
          key.id,
        )
        .run();
    },

    async revoke(id: string, at: string): Promise<void> {
      await db
        .prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
        .bind(at, id)
        .run();
    },

    /** Adds a new current secret; every other secret of the key expires at `othersExpireAt` at the latest. */
    async rotate(keyId: string, secret: StoredSecret, othersExpireAt: string): Promise<void> {
      await db.batch([
        db
          .prepare(
            "UPDATE api_key_secrets SET expires_at = ? WHERE key_id = ? AND (expires_at IS NULL OR expires_at > ?)",
          )
          .bind(othersExpireAt, keyId, othersExpireAt),
        insertSecret(db, keyId, secret),
        db.prepare("UPDATE api_keys SET prefix = ? WHERE id = ?").bind(secret.prefix, keyId),
      ]);
    },
  };
}

export type D1KeyStore = ReturnType<typeof d1KeyStore>;

function insertSecret(db: D1Database, keyId: string, secret: StoredSecret): D1PreparedStatement {
  return db
    .prepare(
      "INSERT INTO api_key_secrets (hash, key_id, prefix, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(secret.hash, keyId, secret.prefix, secret.created_at, secret.expires_at);
}
