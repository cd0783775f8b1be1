import { isTerminalJobStatus } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { keyAuth } from "../keys/authorize.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { onOperation } from "../routes/operation.ts";
import { jobTimestamp } from "./response.ts";

const IDLE_STATE = {
  skipped: false,
  interrupted: false,
  stopping_generation: false,
  job: "",
  job_count: 0,
  job_timestamp: "0",
  job_no: 0,
  sampling_step: 0,
  sampling_steps: 0,
};

/**
 * A1111's `/progress` (`modules/api/api.py`, `progressapi`) for the key's current task: the share
 * done over all its iterations, the ETA, the current job's step, and the latest preview the job's
 * backend sent as `current_image` (`?skip_current_image=true` leaves it out). Idle: progress 0 and
 * `job_count` 0, which is how SillyTavern tells that a model switch has finished.
 */
async function progress(c: Context<AppEnv>): Promise<Response> {
  await admitRequestOnly(c);
  const keyId = c.var.apiKey.id;
  const task = await c.var.config.keyState.getByName(keyId).sdapiTask();
  if (task === null)
    return c.json({ progress: 0, eta_relative: 0, state: IDLE_STATE, current_image: null, textinfo: null });
  const job = task.jobId === null ? null : c.var.config.jobs.namespace.getByName(task.jobId);
  const wantImage = c.req.query("skip_current_image") !== "true";
  const [snapshot, preview] = await Promise.all([
    job?.read(keyId) ?? null,
    wantImage ? (job?.latestPreview(keyId) ?? null) : null,
  ]);
  // A task whose route was cut off (an isolate that died mid-request) never cleared itself: once its
  // last job has ended it is idle, whatever the key's object still holds.
  const ended = snapshot !== null && isTerminalJobStatus(snapshot.view.status);
  if (ended && task.iteration === task.iterations - 1)
    return c.json({ progress: 0, eta_relative: 0, state: IDLE_STATE, current_image: null, textinfo: null });
  const step = snapshot?.view.progress ?? null;
  const fraction = step?.fraction ?? 0;
  const done = (task.iteration + fraction) / task.iterations;
  const elapsedS = (Date.now() - task.startedMs) / 1000;
  return c.json({
    progress: done,
    // A1111's own estimate: time so far over the share done, less what has passed.
    eta_relative: done > 0 ? Math.max(0, elapsedS / done - elapsedS) : 0,
    state: {
      ...IDLE_STATE,
      interrupted: task.interrupted,
      skipped: task.skippedIteration === task.iteration,
      job: `task(${task.id})`,
      job_count: task.iterations,
      job_timestamp: jobTimestamp(task.startedMs),
      job_no: task.iteration,
      sampling_step: step?.step ?? 0,
      sampling_steps: step?.steps ?? task.steps,
    },
    current_image: preview,
    textinfo: null,
  });
}

/**
 * `/interrupt` ends the key's running tasks (their current jobs cancelled, no more iterations); `/skip`
 * only their current iterations. A1111 stops the one job it runs; a key may run several at once here.
 */
async function stop(c: Context<AppEnv>, kind: "interrupt" | "skip"): Promise<Response> {
  await admitRequestOnly(c);
  const keyId = c.var.apiKey.id;
  const tasks = await c.var.config.keyState.getByName(keyId).sdapiStop(kind);
  const jobs = tasks.flatMap((task) => (task.jobId === null ? [] : [task.jobId]));
  await Promise.all(jobs.map((jobId) => c.var.config.jobs.namespace.getByName(jobId).cancel(keyId)));
  return c.json({});
}

/** A1111's progress, interrupt and skip, per API key: a key sees and stops only its own work. */
export function registerSdapiProgress(app: Hono<AppEnv>): void {
  onOperation(app, "sdapiProgress", keyAuth("sdapiProgress", { basic: true }), progress);
  onOperation(app, "sdapiInterrupt", keyAuth("sdapiInterrupt", { basic: true }), (c) => stop(c, "interrupt"));
  onOperation(app, "sdapiSkip", keyAuth("sdapiSkip", { basic: true }), (c) => stop(c, "skip"));
}
