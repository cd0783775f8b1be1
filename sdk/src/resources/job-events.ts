import {
  type JobEventData,
  type JobEventName,
  type JobStatus,
  type JobWithResult,
  jobEventSchemas,
  readSse,
  type SseEvent,
  TERMINAL_JOB_STATUSES,
} from "@sdgate/shared";
import { SdgateConnectionError } from "../errors/connection-error.ts";
import { SdgateResponseError } from "../errors/response-error.ts";
import { callOf } from "../http/operation.ts";
import { backoffMs } from "../http/retry.ts";
import { sleep } from "../http/scope.ts";
import type { Transport } from "../http/transport.ts";

/**
 * One event of a job's stream, typed by its name; `id` is what `Last-Event-ID` resumes after.
 *
 * @example
 * function show(event: JobEvent) {
 *   if (event.type === "queued") console.log("position", event.data.position);
 * }
 */
export type JobEvent = {
  [N in JobEventName]: { type: N; id: string | null; data: JobEventData<N> };
}[JobEventName];

/**
 * The event that ends a job's stream, carrying the job.
 *
 * @example
 * const end = events.at(-1) as TerminalJobEvent; // end.data.status
 */
export type TerminalJobEvent = Extract<JobEvent, { type: "succeeded" | "failed" | "cancelled" }>;

/**
 * `jobs.events`' options.
 *
 * @example
 * client.jobs.events(id, { lastEventId: saved.lastEventId, signal, idleMs: 60_000 });
 */
export interface JobEventsOptions {
  signal?: AbortSignal;
  /** Resume after this event (what a previous stream's last event's `id` was). */
  lastEventId?: string | number;
  /**
   * Drops in a row, with no event between them, before giving up with an `SdgateConnectionError`;
   * the client's `maxRetries` otherwise.
   */
  maxRetries?: number;
  /** Silence, heartbeats included, after which the stream counts as dropped; default 45 s (the edge beats every 15 s). */
  idleMs?: number;
}

/**
 * Three missed heartbeats of the edge's 15 s (`HEARTBEAT_MS` in edge/src/jobs/event-stream.ts).
 *
 * @example
 * client.jobs.events(id, { idleMs: 2 * DEFAULT_STREAM_IDLE_MS }); // behind a proxy that buffers
 */
export const DEFAULT_STREAM_IDLE_MS = 45_000;

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_JOB_STATUSES);

function isEventName(name: string): name is JobEventName {
  return Object.hasOwn(jobEventSchemas, name);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** A wire event as a typed one; `null` for an event this SDK does not know or a malformed progress report. */
function typed(raw: SseEvent, requestId: string | null): JobEvent | null {
  if (!isEventName(raw.event)) return null;
  const parsed = jobEventSchemas[raw.event].safeParse(parseJson(raw.data));
  if (parsed.success) return { type: raw.event, id: raw.id, data: parsed.data } as JobEvent;
  // A progress report is not worth failing over; a job's end is what the caller waits for.
  if (!TERMINAL.has(raw.event)) return null;
  throw new SdgateResponseError(`The job's '${raw.event}' event is not the shape this SDK expects.`, {
    status: 200,
    requestId,
    cause: parsed.error,
  });
}

/**
 * A job's events as an async iterable that survives dropped connections: when the stream ends before
 * the job does (a proxy's idle cut, a network change, a deploy), it reconnects with `Last-Event-ID`
 * set to the last event it had, so the edge replays only what was missed (edge/src/routes/jobs.ts).
 * A stream that closes with nothing new is checked against the job itself, which may have ended before
 * `lastEventId`. Ends after the job's terminal event.
 *
 * @example
 * for await (const event of jobEvents(transport, getJob, id, { maxRetries: 2 }, {})) console.log(event.type);
 */
export async function* jobEvents(
  transport: Transport,
  getJob: (id: string, signal: AbortSignal | undefined) => Promise<JobWithResult>,
  id: string,
  defaults: { maxRetries: number },
  options: JobEventsOptions,
): AsyncGenerator<JobEvent, void, undefined> {
  const { signal } = options;
  const maxDrops = options.maxRetries ?? defaults.maxRetries;
  let lastEventId = options.lastEventId === undefined ? null : String(options.lastEventId);
  let drops = 0;
  for (;;) {
    const { response, requestId, close } = await transport.open(
      callOf("streamJobEvents", {
        id,
        headers: lastEventId === null ? {} : { "Last-Event-ID": lastEventId },
      }),
      { ...(signal === undefined ? {} : { signal }), maxRetries: maxDrops },
    );
    let received = 0;
    let dropCause: unknown = null;
    const events =
      response.body === null
        ? null
        : readSse(response.body, { idleMs: options.idleMs ?? DEFAULT_STREAM_IDLE_MS });
    try {
      while (events !== null) {
        let next: IteratorResult<SseEvent>;
        try {
          next = await events.next();
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          dropCause = error;
          break;
        }
        if (next.done) break;
        received++;
        if (next.value.id !== null) lastEventId = next.value.id;
        const event = typed(next.value, requestId);
        if (event === null) continue;
        yield event;
        if (TERMINAL.has(event.type)) return;
      }
    } finally {
      await events?.return(undefined);
      close();
    }
    if (received === 0) {
      const job = await getJob(id, signal);
      if (TERMINAL.has(job.status)) {
        const { result: _images, ...view } = job;
        yield { type: job.status as Extract<JobStatus, TerminalJobEvent["type"]>, id: null, data: view };
        return;
      }
    }
    drops = received > 0 ? 1 : drops + 1;
    if (drops > maxDrops) {
      throw new SdgateConnectionError(
        `The event stream of job ${id} dropped ${drops} times in a row without an event.`,
        { cause: dropCause },
      );
    }
    await sleep(backoffMs(drops - 1), signal ?? new AbortController().signal);
  }
}
