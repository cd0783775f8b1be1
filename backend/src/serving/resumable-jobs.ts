import { canonicalJson } from "@sdgate/shared";
import type { JobEnd, JobSpec } from "./job.ts";

/**
 * How long a job the edge gave an id to runs on with nobody listening. The edge's job object listens
 * while it runs the job; if that object dies (evicted, redeployed) its successor asks again under the
 * same id within a minute (its alarm: `edge/src/jobs/generation-job.ts`), and finds the job still
 * running here instead of a cancelled one.
 */
export const RESUME_GRACE_MS = 90_000;
/** How long the end of a job (its images, or its error) is kept for a caller that asks again. */
export const FINISHED_RETENTION_MS = 5 * 60_000;
/** The most ended jobs kept (their images are in memory). */
export const MAX_FINISHED_JOBS = 16;

/** What makes a second request the same job: its tenant and its resolved request, canonically. */
export function jobFingerprint(spec: Pick<JobSpec, "tenant" | "request">): string {
  return `${spec.tenant}\n${canonicalJson(spec.request)}`;
}

/**
 * The ends of recently finished jobs, by id, for an edge that asks again for a job it lost track of:
 * it gets the images already made, not a second generation. Only the same tenant asking with the same
 * request gets them.
 *
 * @example
 * finished.remember(job.id, job.fingerprint, end, Date.now());
 * const end = finished.take(spec.id, jobFingerprint(spec), Date.now());
 */
export class FinishedJobs {
  readonly #ends = new Map<string, { fingerprint: string; end: JobEnd; atMs: number }>();

  remember(id: string, fingerprint: string, end: JobEnd, nowMs: number): void {
    this.#prune(nowMs);
    this.#ends.set(id, { fingerprint, end, atMs: nowMs });
    while (this.#ends.size > MAX_FINISHED_JOBS) {
      const oldest = this.#ends.keys().next().value;
      if (oldest === undefined) break;
      this.#ends.delete(oldest);
    }
  }

  /** The end of job `id` if it is kept and `fingerprint` matches; it is then forgotten. */
  take(id: string, fingerprint: string, nowMs: number): JobEnd | undefined {
    this.#prune(nowMs);
    const kept = this.#ends.get(id);
    if (kept === undefined || kept.fingerprint !== fingerprint) return undefined;
    this.#ends.delete(id);
    return kept.end;
  }

  #prune(nowMs: number): void {
    for (const [id, kept] of this.#ends) {
      if (nowMs - kept.atMs < FINISHED_RETENTION_MS) break;
      this.#ends.delete(id);
    }
  }
}
