const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/** How long sessions last. */
export interface SessionPolicy {
  /** A session unused this long ends; each use slides it (never past the absolute expiry). */
  idleMs: number;
  /** A session ends this long after sign-in, however much it is used. */
  absoluteMs: number;
  /** Uses closer together than this write nothing, to spare D1 a write per request. */
  lastSeenWriteIntervalMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  idleMs: 12 * HOUR_MS,
  absoluteMs: 7 * 24 * HOUR_MS,
  lastSeenWriteIntervalMs: MINUTE_MS,
};
