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

/** A generation's audit row by `keyId` at `at`: a 200 from the `fake` backend, 100 ms, 10 credits, a miss. */
export function auditGeneration(keyId: string, at: string, fields: Partial<AuditEntry> = {}): AuditEntry {
  return {
    at,
    actor: keyId,
    action: "generation",
    key_id: keyId,
    request_hash: "0".repeat(64),
    backend: "fake",
    status: 200,
    latency_ms: 100,
    cost: 10,
    detail: JSON.stringify({ cache: "MISS" }),
    ...fields,
  };
}
