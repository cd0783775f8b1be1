export { AUDIT_LOG_NAME, AuditLog } from "./audit-log.ts";
export type { AuditEntry, ChainBreak, ChainHead, StoredAuditRow } from "./chain.ts";
export { listAudit } from "./list.ts";
export { AuditOutbox, type GenerationContext, type GenerationEnd } from "./outbox.ts";
export { verifyAudit } from "./verify.ts";
