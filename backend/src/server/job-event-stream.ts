import type { GenerateEventData, GenerateEventName } from "@sdgate/shared";
import { errorEnvelope, formatSse, SSE_HEARTBEAT } from "@sdgate/shared";
import type { Job, JobEvent } from "../serving/job.ts";

/** Proxies drop connections that stay silent; a comment line every so often keeps a queued stream open. */
const HEARTBEAT_MS = 15_000;

/** A job event as the SSE event name and JSON payload of the internal API. */
export function toGenerateEvent(
  event: JobEvent,
  requestId: string,
): { [N in GenerateEventName]: { name: N; data: GenerateEventData<N> } }[GenerateEventName] {
  switch (event.type) {
    case "queued":
      return { name: "queued", data: { position: event.position, estimated_wait_ms: event.estimatedWaitMs } };
    case "started":
      return { name: "started", data: { batch_size: event.batchSize, queue_wait_ms: event.queueWaitMs } };
    case "progress": {
      const { step, steps, image, images, etaMs, preview } = event.progress;
      return {
        name: "progress",
        data: { step, steps, image, images, eta_ms: Math.max(0, etaMs), ...(preview ? { preview } : {}) },
      };
    }
    case "result":
      return { name: "result", data: event.response };
    case "error":
      return {
        name: "error",
        data: errorEnvelope(event.error.code, event.error.message, requestId, event.error.param),
      };
  }
}

/**
 * The job's events as `text/event-stream` (numbered with `id:` so the edge can tell where it is),
 * ending after `result` or `error`. `onClientGone` runs when the client disconnects first.
 */
export function jobEventStream(
  job: Job,
  requestId: string,
  onEnd: (event: JobEvent) => void,
  onClientGone: () => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let unsubscribe = () => {};
  let heartbeat: NodeJS.Timeout | undefined;
  let nextId = 1;
  const stop = () => {
    unsubscribe();
    clearInterval(heartbeat);
  };
  return new ReadableStream<Uint8Array>({
    start(controller) {
      unsubscribe = job.subscribe((event) => {
        const { name, data } = toGenerateEvent(event, requestId);
        controller.enqueue(
          encoder.encode(formatSse({ id: nextId++, event: name, data: JSON.stringify(data) })),
        );
        if (event.type === "result" || event.type === "error") {
          stop();
          onEnd(event);
          controller.close();
        }
      });
      heartbeat = setInterval(() => controller.enqueue(encoder.encode(SSE_HEARTBEAT)), HEARTBEAT_MS);
    },
    cancel() {
      stop();
      onClientGone();
    },
  });
}
