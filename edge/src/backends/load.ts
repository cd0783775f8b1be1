/**
 * What a backend says about its own queue, in response headers on every answer: `X-Queue-Depth`
 * (requests waiting) and `X-Estimated-Wait-Ms` (how long a new one would wait before it runs).
 */
export interface LoadReport {
  queueDepth: number | null;
  estimatedWaitMs: number | null;
}

function nonNegativeInt(value: string | null, max: number): number | null {
  if (value === null || !/^\s*\d{1,9}\s*$/.test(value)) return null;
  return Math.min(Number(value), max);
}

/** The load headers of a backend's answer; `null` when it sent neither. */
export function parseLoadHeaders(headers: Headers): LoadReport | null {
  const queueDepth = nonNegativeInt(headers.get("x-queue-depth"), 1_000_000);
  const estimatedWaitMs = nonNegativeInt(headers.get("x-estimated-wait-ms"), 3_600_000);
  return queueDepth === null && estimatedWaitMs === null ? null : { queueDepth, estimatedWaitMs };
}

/** A report older than this says little about the queue now, so it no longer steers routing. */
export const LOAD_REPORT_TTL_MS = 30_000;

interface Remembered extends LoadReport {
  atMs: number;
}

/**
 * The last load each backend reported, kept per isolate (a hint, not a contract: a stale or missing
 * report only makes routing fall back to priority and weights), plus this isolate's own requests in
 * flight to each.
 */
export class LoadBook {
  readonly #reports = new Map<string, Remembered>();
  readonly #inFlight = new Map<string, number>();

  remember(backend: string, report: LoadReport | null, nowMs: number): void {
    if (report !== null) this.#reports.set(backend, { ...report, atMs: nowMs });
  }

  started(backend: string): void {
    this.#inFlight.set(backend, (this.#inFlight.get(backend) ?? 0) + 1);
  }

  finished(backend: string): void {
    this.#inFlight.set(backend, Math.max(0, (this.#inFlight.get(backend) ?? 0) - 1));
  }

  /** The wait a new request should expect, in ms: the backend's fresh estimate, else 0. */
  expectedWaitMs(backend: string, nowMs: number): number {
    const report = this.#reports.get(backend);
    if (!report || nowMs - report.atMs > LOAD_REPORT_TTL_MS) return 0;
    return report.estimatedWaitMs ?? 0;
  }

  inFlight(backend: string): number {
    return this.#inFlight.get(backend) ?? 0;
  }

  /** For `/admin/backends`. */
  describe(backend: string): (LoadReport & { atMs: number; inFlight: number }) | null {
    const report = this.#reports.get(backend);
    const inFlight = this.inFlight(backend);
    if (!report) return inFlight > 0 ? { queueDepth: null, estimatedWaitMs: null, atMs: 0, inFlight } : null;
    return { ...report, inFlight };
  }
}
