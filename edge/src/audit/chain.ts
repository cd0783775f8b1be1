import { type ChainBreakReason, type ChainHead, canonicalJson, sha256Hex } from "@sdgate/shared";

/**
 * The audit log is a hash chain: row n stores `hash = SHA-256(prev_hash ‖ canonical row)` where
 * `prev_hash` is row n−1's hash (64 zeros for row 1) and the canonical row is {@link canonicalJson}
 * of every column but the two hashes, `seq` included. Editing, reordering or deleting a row breaks
 * the chain at that row; deleting the newest rows is caught against the head the `AuditLog` Durable
 * Object remembers.
 */
export const GENESIS_HASH = "0".repeat(64);

/** One audit event before it is chained. `detail` is canonical JSON text (or null). */
export interface AuditEntry {
  at: string;
  /** `admin` for the admin token, else the key id that acted. */
  actor: string;
  /** `key.create`, `key.list`, `key.revoke`, `key.rotate`, `audit.list`, `audit.verify`, `generation`. */
  action: string;
  key_id: string | null;
  request_hash: string | null;
  backend: string | null;
  /** The HTTP status the action ended with. */
  status: number | null;
  latency_ms: number | null;
  /** Credits charged (generations). */
  cost: number | null;
  detail: string | null;
}

// A place in the chain is the contract's: the verify report shows heads as they are here.
export type { ChainHead };

/** A chained row as D1 stores it (the admin API shows `detail` parsed: the contract's `AuditRow`). */
export interface StoredAuditRow extends AuditEntry {
  seq: number;
  prev_hash: string;
  hash: string;
}

export const GENESIS_HEAD: ChainHead = { seq: 0, hash: GENESIS_HASH };

/** The hashed text of a row: its columns but the hashes, canonical JSON. */
export function canonicalAuditRow(seq: number, entry: AuditEntry): string {
  const { at, actor, action, key_id, request_hash, backend, status, latency_ms, cost, detail } = entry;
  return canonicalJson({
    seq,
    at,
    actor,
    action,
    key_id,
    request_hash,
    backend,
    status,
    latency_ms,
    cost,
    detail,
  });
}

/** The hash row `seq` must store, given the previous row's hash. */
export function chainHash(prevHash: string, seq: number, entry: AuditEntry): Promise<string> {
  return sha256Hex(prevHash + canonicalAuditRow(seq, entry));
}

/** Appends `entry` after `head`. */
export async function chainRow(head: ChainHead, entry: AuditEntry): Promise<StoredAuditRow> {
  const seq = head.seq + 1;
  return { ...entry, seq, prev_hash: head.hash, hash: await chainHash(head.hash, seq, entry) };
}

/** The first row where the chain does not hold, and why (a checkpoint's attestation is checked elsewhere). */
export interface ChainBreak {
  seq: number;
  reason: Exclude<ChainBreakReason, "unattested_checkpoint">;
}

/**
 * Checks rows one at a time, in `seq` order, and remembers the first break.
 *
 * @example
 * const verifier = new ChainVerifier();
 * for (const row of rows) if (await verifier.push(row)) break;
 * verifier.finish(anchor);
 */
export class ChainVerifier {
  #head: ChainHead;
  #checked = 0;
  #broken: ChainBreak | null = null;

  /** `start`: the row before the first one pushed (a retention checkpoint, or a page's cursor). */
  constructor(start: ChainHead = GENESIS_HEAD) {
    this.#head = start;
  }

  get rowsChecked(): number {
    return this.#checked;
  }

  get head(): ChainHead {
    return this.#head;
  }

  get broken(): ChainBreak | null {
    return this.#broken;
  }

  /** Checks the next row; returns the break if this row is the first broken one. */
  async push(row: StoredAuditRow): Promise<ChainBreak | null> {
    if (this.#broken) return this.#broken;
    this.#checked++;
    const expectedSeq = this.#head.seq + 1;
    if (row.seq !== expectedSeq) return this.#break(expectedSeq, "gap");
    if (row.prev_hash !== this.#head.hash) return this.#break(row.seq, "prev_hash_mismatch");
    if ((await chainHash(row.prev_hash, row.seq, row)) !== row.hash)
      return this.#break(row.seq, "hash_mismatch");
    this.#head = { seq: row.seq, hash: row.hash };
    return null;
  }

  /** After the last row: the chain must reach the head the log remembers (rows deleted at the end). */
  finish(anchor: ChainHead): ChainBreak | null {
    if (this.#broken) return this.#broken;
    if (this.#head.seq < anchor.seq) return this.#break(this.#head.seq + 1, "truncated");
    if (this.#head.seq === anchor.seq && this.#head.hash !== anchor.hash) {
      return this.#break(anchor.seq, "hash_mismatch");
    }
    return null;
  }

  #break(seq: number, reason: ChainBreak["reason"]): ChainBreak {
    this.#broken = { seq, reason };
    return this.#broken;
  }
}
