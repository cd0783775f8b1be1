import type { AuditEntry } from "../audit/chain.ts";

/** An audit entry of `action` for tests, at `atMs` (now by default), with every other column empty. */
export function testAuditEntry(action: string, atMs: number = Date.now()): AuditEntry {
  return {
    at: new Date(atMs).toISOString(),
    actor: "test",
    action,
    key_id: null,
    request_hash: null,
    backend: null,
    status: 200,
    latency_ms: null,
    cost: null,
    detail: null,
  };
}
