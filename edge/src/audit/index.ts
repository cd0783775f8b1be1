export { AUDIT_LOG_NAME, AuditLog } from "./audit-log.ts";
export type { AuditEntry, AuditRow, ChainBreak, ChainHead } from "./chain.ts";
export { type AuditPage, listAudit } from "./list.ts";
export { AuditOutbox, type GenerationContext, type GenerationEnd } from "./outbox.ts";
export { type ChainReport, verifyAudit } from "./verify.ts";
