import type { JobProgressData, JobView, JobWithResult } from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import { callScope } from "../http/scope.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";
import { type JobEvent, type JobEventsOptions, jobEvents } from "./job-events.ts";

/**
 * `jobs.wait`'s options.
 *
 * @example
 * await client.jobs.wait(id, { timeoutMs: 300_000, onProgress: (p) => bar.update(p.fraction) });
 */
export interface WaitOptions {
  signal?: AbortSignal;
  /** The whole wait's limit (`null` or absent: none; a job may queue a while). */
  timeoutMs?: number | null;
  onProgress?: (progress: JobProgressData) => void;
  /** Every event, progress included, in order. */
  onEvent?: (event: JobEvent) => void;
}

/**
 * `GET /v1/jobs/{id}` (`getJob`), `GET /v1/jobs/{id}/events` (`streamJobEvents`), `POST /v1/jobs/{id}/cancel` (`cancelJob`).
 *
 * @example
 * const job = await client.jobs.get("job_…");
 */
export class Jobs {
  readonly #transport: Transport;
  readonly #maxRetries: number;

  constructor(transport: Transport, defaults: { maxRetries: number }) {
    this.#transport = transport;
    this.#maxRetries = defaults.maxRetries;
  }

  /**
   * The job's state and, once it succeeded, `result`: the answer the synchronous call would have given.
   *
   * @example
   * const job = await client.jobs.get(id);
   * if (job.status === "succeeded") console.log(job.result?.data.length, "images");
   */
  async get(id: string, options: RequestOptions = {}): Promise<JobWithResult> {
    return callOperation(this.#transport, "getJob", { id }, options);
  }

  /**
   * Cancels a queued or running job (on its GPU too) and refunds its credits; a job already ended is
   * answered as it is, so cancelling twice is safe (and retried).
   *
   * @example
   * const job = await client.jobs.cancel(id); // job.status === "cancelled"
   */
  async cancel(id: string, options: RequestOptions = {}): Promise<JobView> {
    return callOperation(this.#transport, "cancelJob", { id }, options);
  }

  /**
   * The job's events, for `for await`: `attempt`, `queued`, `started`, `progress`, then one of
   * `succeeded`, `failed`, `cancelled` (carrying the job), after which it ends. A dropped stream is
   * resumed with `Last-Event-ID`, so no event is missed or repeated.
   *
   * @example
   * for await (const event of client.jobs.events(job.id, { signal })) {
   *   if (event.type === "progress") console.log(`${event.data.step}/${event.data.steps}`);
   * }
   */
  events(id: string, options: JobEventsOptions = {}): AsyncGenerator<JobEvent, void, undefined> {
    return jobEvents(
      this.#transport,
      (jobId, signal) => this.get(jobId, signal === undefined ? {} : { signal }),
      id,
      { maxRetries: this.#maxRetries },
      options,
    );
  }

  /**
   * Follows the job to its end and answers with it (and its `result` when it succeeded); check
   * `status`, since a failed or cancelled job is an answer here, not an error.
   *
   * @example
   * const done = await client.jobs.wait(job.id, { onProgress: (p) => console.log(`${Math.round(p.fraction * 100)} %`) });
   * if (done.status === "succeeded") save(done.result);
   */
  async wait(id: string, options: WaitOptions = {}): Promise<JobWithResult> {
    const scope = callScope(options.signal, options.timeoutMs ?? null);
    try {
      for await (const event of this.events(id, { signal: scope.signal })) {
        options.onEvent?.(event);
        if (event.type === "progress") options.onProgress?.(event.data);
      }
      // The terminal event carries the job without its images; the job itself has them.
      return await this.get(id, { signal: scope.signal });
    } catch (error) {
      throw scope.signal.aborted ? scope.abortError() : error;
    } finally {
      scope.dispose();
    }
  }
}
