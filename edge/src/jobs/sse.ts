// The one SSE codec lives in the contract (shared/src/sse.ts); the edge's jobs read and write through it.
export { formatSse, readSse, SSE_HEARTBEAT, type SseEvent, SseIdleError } from "@sdgate/shared";
