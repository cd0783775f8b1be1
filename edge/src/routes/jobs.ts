import { SdgateError } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { b64ResponseBody } from "../cache/record.ts";
import { getGeneration } from "../cache/store.ts";
import type { AppEnv } from "../hono-env.ts";
import { authorize, keyAuth } from "../keys/authorize.ts";
import { urlResponseBody } from "./images.ts";
import { onOperation } from "./operation.ts";

/** A job id as `jobIdFor` makes them; anything else cannot be a job, so no object is asked. */
export const JOB_ID_PATTERN = /^job_[0-9a-f]{32}$/;

function notFound(id: string): SdgateError {
  // The same answer for a job that does not exist and for another key's job: ids reveal nothing.
  return new SdgateError("not_found", `No job '${id.slice(0, 64)}' for this API key.`, { param: "id" });
}

/**
 * The job object for the route's `:id` and the caller's key id, once the key is confirmed, counted
 * and found to grant the route's scope.
 */
async function jobOf(c: Context<AppEnv>) {
  await authorize(c, { cost: null });
  const id = c.req.param("id") ?? "";
  if (!JOB_ID_PATTERN.test(id)) throw notFound(id);
  return { id, keyId: c.var.apiKey.id, stub: c.var.config.jobs.namespace.getByName(id) };
}

/** `Last-Event-ID` (or `?last_event_id=` for clients that cannot set headers): the last event the client has. */
function lastEventId(c: Context<AppEnv>): number {
  const value = c.req.header("Last-Event-ID") ?? c.req.query("last_event_id");
  if (value === undefined || value.trim() === "") return 0;
  if (!/^\d{1,9}$/.test(value.trim())) {
    throw new SdgateError("invalid_request", "Last-Event-ID must be the id of an event of this stream.", {
      param: "Last-Event-ID",
    });
  }
  return Number(value.trim());
}

/**
 * The job routes (see `jobs/submit.ts` for how jobs are made):
 * - `GET /v1/jobs/{id}`: the job (status, queue position, progress, error) and, once it succeeded,
 *   `result`: the generation's response body as the synchronous route would have answered
 *   (`b64_json`, or fresh signed `url`s).
 * - `GET /v1/jobs/{id}/events`: `text/event-stream` of `attempt`, `queued`, `started`, `progress` and
 *   then one of `succeeded`, `failed`, `cancelled` (the job, without images). Events are numbered;
 *   reconnecting with `Last-Event-ID: n` replays those after n, then goes live.
 * - `POST /v1/jobs/{id}/cancel`: cancels a queued or running job (on its backend too) and refunds its
 *   credits; answers with the job.
 * Only the API key that created a job sees it; any other gets the same 404 as for no job at all.
 * Reading needs `read` (which `generate` implies); cancelling needs `generate`.
 */
export function registerJobs(app: Hono<AppEnv>): void {
  onOperation(app, "getJob", keyAuth("getJob", { deferred: true }), async (c) => {
    const { id, keyId, stub } = await jobOf(c);
    const snapshot = await stub.read(keyId);
    if (snapshot === null) throw notFound(id);
    const view = JSON.stringify(snapshot.view);
    const record =
      snapshot.result === null
        ? null
        : await getGeneration(c.var.config.images, snapshot.result.tenantTag, snapshot.result.cacheKey);
    if (snapshot.result === null || record === null)
      return c.body(view, 200, { "Content-Type": "application/json" });
    const b64 = b64ResponseBody(record);
    const result = snapshot.responseFormat === "url" ? await urlResponseBody(c, b64, snapshot.result) : b64;
    // Spliced rather than re-serialised: the result holds the images, often megabytes of base64.
    return c.body(`${view.slice(0, -1)},"result":${result}}`, 200, { "Content-Type": "application/json" });
  });

  onOperation(app, "streamJobEvents", keyAuth("streamJobEvents", { deferred: true }), async (c) => {
    const after = lastEventId(c);
    const { id, keyId, stub } = await jobOf(c);
    const stream = await stub.events(keyId, after);
    if (stream === null) throw notFound(id);
    return c.body(stream as ReadableStream<Uint8Array>, 200, {
      "Content-Type": "text/event-stream; charset=utf-8",
      "Cache-Control": "no-cache",
    });
  });

  onOperation(app, "cancelJob", keyAuth("cancelJob", { deferred: true }), async (c) => {
    const { id, keyId, stub } = await jobOf(c);
    const view = await stub.cancel(keyId);
    if (view === null) throw notFound(id);
    return c.json(view, 200);
  });
}
