import { type JobError, type JobView, SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { GenerationRecord } from "../cache/record.ts";
import { getGeneration } from "../cache/store.ts";
import type { AppEnv } from "../hono-env.ts";
import { readSse } from "../jobs/sse.ts";
import { submitJob } from "../jobs/submit.ts";
import { enforceGovernance } from "../policies/index.ts";
import { prepareForJob } from "../routes/generations.ts";
import type { SdapiTask } from "./key-slot.ts";
import { inA1111Terms } from "./params.ts";
import { iterationRequest, type MappedRequest } from "./request.ts";

/**
 * A preview every this many steps, for `/progress`'s `current_image`: A1111's default "Show new live
 * preview image every N sampling steps" (`show_progress_every_n_steps`).
 */
export const PREVIEW_EVERY_STEPS = 10;

/** What a task made: each iteration's record, in order (an interrupted or skipped one has none). */
export interface TaskResult {
  records: GenerationRecord[];
  /** The resolved request of the first iteration (model, size, steps…), for `info`. */
  first: Awaited<ReturnType<typeof prepareForJob>>["resolved"];
}

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/** Waits for a job to end, on its own event stream (no polling), and answers with its final view. */
async function jobEnd(c: Context<AppEnv>, jobId: string): Promise<JobView> {
  const stub = c.var.config.jobs.namespace.getByName(jobId);
  const stream = await stub.events(c.var.apiKey.id, 0);
  if (stream === null) throw new Error("sdapi: a job made for this key is not this key's.");
  for await (const event of readSse(stream as ReadableStream<Uint8Array>)) {
    if (TERMINAL.has(event.event)) return JSON.parse(event.data) as JobView;
  }
  // The stream ends only after a terminal event; a broken one is read back from the job.
  const snapshot = await stub.read(c.var.apiKey.id);
  if (snapshot === null) throw new Error("sdapi: the job disappeared.");
  return snapshot.view;
}

function jobFailure(error: JobError | null): SdgateError {
  return new SdgateError(error?.code ?? "internal_error", error?.message ?? "The generation failed.", {
    param: error?.param ?? null,
  });
}

/** An iteration's request as the generation route checks it, its problems told in A1111's field names. */
async function prepareIteration(c: Context<AppEnv>, mapped: MappedRequest, iteration: number) {
  try {
    const prepared = await prepareForJob(c, iterationRequest(mapped, iteration));
    await enforceGovernance(c, prepared.resolved, prepared.served);
    return prepared;
  } catch (error) {
    throw inA1111Terms(error, mapped.controlnetArgs.args, mapped.controlnetArgs.script);
  }
}

/**
 * Runs an A1111 request as sdgate jobs, one per `n_iter` iteration, each through the generation
 * route's own path (`prepareForJob`: checks, seed, price, cache key; the team's governance;
 * `submitJob`: the key's admission and reservation, the `GenerationJob` with the replay cache,
 * failover, settlement and audit). The key's object knows the running job, so `/progress`,
 * `/interrupt` and `/skip` reach it; an interrupt ends the task, a skip only the iteration.
 */
export async function runTask(c: Context<AppEnv>, mapped: MappedRequest): Promise<TaskResult> {
  const keyId = c.var.apiKey.id;
  const slot = c.var.config.keyState.getByName(keyId);
  const records: GenerationRecord[] = [];
  let first: TaskResult["first"] | null = null;
  const task: SdapiTask = {
    id: crypto.randomUUID(),
    startedMs: Date.now(),
    iteration: 0,
    iterations: mapped.iterations,
    jobId: null,
    steps: 0,
    interrupted: false,
    skippedIteration: null,
  };
  try {
    for (let iteration = 0; iteration < mapped.iterations; iteration++) {
      const prepared = await prepareIteration(c, mapped, iteration);
      first ??= prepared.resolved;
      const go = await slot.sdapiAdvance({ ...task, iteration, steps: prepared.resolved.steps });
      if (!go) break;
      const { view } = await submitJob(c, prepared, {
        webhookUrl: null,
        previewEvery: PREVIEW_EVERY_STEPS,
        experiment: null,
        idempotencyKey: null,
      });
      const job = c.var.config.jobs.namespace.getByName(view.id);
      // An interrupt or skip that came before the job was known is applied to it now.
      if (!(await slot.sdapiRunning(task.id, iteration, view.id))) await job.cancel(keyId);
      const end = await jobEnd(c, view.id);
      if (end.status === "failed") throw jobFailure(end.error);
      if (end.status === "succeeded") {
        const snapshot = await job.read(keyId);
        const where = snapshot?.result ?? null;
        const record =
          where === null ? null : await getGeneration(c.var.config.images, where.tenantTag, where.cacheKey);
        if (record === null)
          throw new SdgateError("internal_error", "A finished job's images were not found.");
        records.push(record);
      }
      // Cancelled: skipped (go on) or interrupted (the next `sdapiAdvance` says stop).
    }
  } finally {
    await slot.sdapiEnd(task.id);
  }
  if (first === null) throw new Error("sdapi: a task without iterations.");
  return { records, first };
}
