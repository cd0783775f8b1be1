import { canonicalJson } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { log } from "../log.ts";
import { AUDIT_LOG_NAME } from "./audit-log.ts";
import type { AuditEntry } from "./chain.ts";

export { AUDIT_LOG_NAME, AuditLog } from "./audit-log.ts";
export type { AuditEntry, AuditRow, ChainBreak, ChainHead } from "./chain.ts";
export { type AuditPage, listAudit } from "./list.ts";
export { AuditOutbox, type GenerationContext, type GenerationEnd } from "./outbox.ts";
export { type ChainReport, verifyAudit } from "./verify.ts";

type Detail = Record<string, string | number | boolean | null>;

export interface AdminAuditEntry {
  action: string;
  /** The key acted on, if any. */
  keyId?: string | null;
  status: number;
  detail?: Detail;
}

/**
 * Appends an admin action and waits until it is committed, so the response implies the record. The
 * `AuditLog` keeps the entry in its own storage first: when D1 fails it is written by a later try,
 * never lost. Only an `AuditLog` that cannot be reached at all is logged, not thrown: the action
 * itself has already happened.
 *
 * (Generations are audited by the key's `KeyState`, in the same step that settles their credits: see
 * `audit/outbox.ts`.)
 *
 * @example
 * await recordAdminAction(c, { action: "key.revoke", keyId, status: 200 });
 */
export async function recordAdminAction(c: Context<AppEnv>, action: AdminAuditEntry): Promise<void> {
  const auditEntry: AuditEntry = {
    at: new Date().toISOString(),
    actor: "admin",
    action: action.action,
    key_id: action.keyId ?? null,
    request_hash: null,
    backend: null,
    status: action.status,
    latency_ms: null,
    cost: null,
    detail: canonicalJson({ request_id: c.get("requestId"), ...action.detail }),
  };
  try {
    await c.get("config").auditLog.getByName(AUDIT_LOG_NAME).append(auditEntry);
  } catch (error) {
    log.error("audit append failed", { request_id: c.get("requestId"), error: (error as Error).message });
  }
}
