import type { StoredEvent } from "./job-store.ts";
import { formatSse, SSE_HEARTBEAT } from "./sse.ts";

/** Proxies drop connections that stay silent; a comment line this often keeps a queued job's stream open. */
export const HEARTBEAT_MS = 15_000;

/** The events that end a job's stream. */
export const TERMINAL_EVENTS: ReadonlySet<string> = new Set(["succeeded", "failed", "cancelled"]);

export interface EventSource {
  /** What the client missed (events after its `Last-Event-ID`), in order. */
  stored: StoredEvent[];
  /** The job has already ended: send `stored` and close. */
  ended: boolean;
  /** Live events from now on; returns the unsubscribe. */
  subscribe(listener: (event: StoredEvent) => void): () => void;
}

/**
 * A job's events as `text/event-stream`: first the stored ones the client has not seen, then live
 * ones, closing after the terminal event. Each carries its number as `id:`, so a client that loses
 * the connection reconnects with `Last-Event-ID` and misses nothing. Replay and subscription happen
 * in one synchronous step, so no event falls between them.
 *
 * @example
 * return jobEventStream({ stored: store.eventsAfter(lastId), ended, subscribe });
 */
export function jobEventStream(source: EventSource): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let stop = () => {};
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const send = (event: StoredEvent) =>
        controller.enqueue(encoder.encode(formatSse({ id: event.id, event: event.name, data: event.data })));
      for (const event of source.stored) send(event);
      const alreadyOver = source.ended || source.stored.some((event) => TERMINAL_EVENTS.has(event.name));
      if (alreadyOver) {
        controller.close();
        return;
      }
      const unsubscribe = source.subscribe((event) => {
        send(event);
        if (TERMINAL_EVENTS.has(event.name)) {
          stop();
          controller.close();
        }
      });
      const heartbeat = setInterval(() => controller.enqueue(encoder.encode(SSE_HEARTBEAT)), HEARTBEAT_MS);
      stop = () => {
        unsubscribe();
        clearInterval(heartbeat);
      };
    },
    cancel() {
      stop();
    },
  });
}
