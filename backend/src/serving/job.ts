import type { BackendGenerateResponse, ResolvedGenerationRequest, SdgateError } from "@sdgate/shared";
import { batchKey } from "../engine/index.ts";
import type { JobProgress } from "../generation/engine.ts";
import type { InputImages } from "../generation/input-image.ts";
import { jobFingerprint } from "./resumable-jobs.ts";

/** What happens to a job, in order: `queued` (again whenever its position changes), `started`, `progress`…, then `result` or `error`. */
export type JobEvent =
  | { type: "queued"; position: number; estimatedWaitMs: number }
  | { type: "started"; batchSize: number; queueWaitMs: number }
  | { type: "progress"; progress: JobProgress }
  | { type: "result"; response: BackendGenerateResponse }
  | { type: "error"; error: SdgateError };

export type JobEnd = Extract<JobEvent, { type: "result" | "error" }>;

export interface JobSpec {
  id: string;
  /** The API key the edge served the request for; the queue is fair across these. */
  tenant: string;
  request: ResolvedGenerationRequest;
  /** Unix ms after which the job is abandoned, queued or running. */
  deadlineAtMs: number;
  /** Attach a preview to every n-th progress event; 0: none. */
  previewEverySteps: number;
  /** The request's input images, decoded on arrival (`decodeInputImages`). */
  inputs: InputImages;
}

/** One generation request from arrival to its end; listeners see its events as they happen. */
export class Job {
  readonly id: string;
  readonly tenant: string;
  readonly request: ResolvedGenerationRequest;
  readonly deadlineAtMs: number;
  readonly previewEverySteps: number;
  readonly inputs: InputImages;
  readonly batchKey: string | null;
  readonly images: number;
  /** Its tenant and request: a second submission with its id and this is the same job. */
  readonly fingerprint: string;
  /** Cancelled because nobody listened any more: not an end worth keeping for a resuming caller. */
  abandoned = false;
  readonly enqueuedAtMs = performance.now();
  state: "queued" | "running" | "done" = "queued";
  /** Where it stands in the queue, as last announced. */
  position = 0;
  readonly ended: Promise<JobEnd>;
  #resolveEnded!: (end: JobEnd) => void;
  readonly #listeners = new Set<(event: JobEvent) => void>();

  constructor(spec: JobSpec) {
    this.id = spec.id;
    this.tenant = spec.tenant;
    this.request = spec.request;
    this.deadlineAtMs = spec.deadlineAtMs;
    this.previewEverySteps = spec.previewEverySteps;
    this.inputs = spec.inputs;
    this.batchKey = batchKey(spec.request);
    this.images = spec.request.n;
    this.fingerprint = jobFingerprint(spec);
    this.ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  /** Listens to the job's events from now on; returns the unsubscribe function. */
  subscribe(listener: (event: JobEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: JobEvent): void {
    if (this.state === "done") return;
    if (event.type === "result" || event.type === "error") {
      this.state = "done";
      this.#resolveEnded(event);
    }
    for (const listener of this.#listeners) listener(event);
  }
}
