/**
 * The contract between edge/test/stream-fakes.ts (Node side: fake backends that stream SSE progress
 * and honour cancel, and a webhook receiver, all on 127.0.0.1) and the job tests in workerd, which
 * receive it as the `STREAM_FAKES` binding.
 */
export interface StreamFakes {
  /** Streams `queued` (2, then 1), `started`, one `progress` per step ({@link STREAM_STEP_MS} apart), then `result`. */
  stream: string;
  /** Like `stream`, but drops the connection after {@link DROP_AFTER_STEPS} steps (a backend dying mid-job). */
  streamDrop: string;
  /** Receives webhooks at `POST /hooks/{name}`; names starting `flaky` answer 503 the first time. */
  webhooks: string;
}

export const STREAM_STEP_MS = 20;
export const DROP_AFTER_STEPS = 2;

/** What the streaming fakes report in `/readyz`. */
export const STREAM_READYZ = {
  estimated_wait_ms: 250,
  queue_depth: 1,
  step_ms: { tiny: { "256x256": 40, "512x512": 150 } },
} as const;

/** A prompt containing this is refused by the streaming fakes with a 400 `error` event naming `prompt`. */
export const REJECT_MARKER = "[reject]";

/** Where the fakes list the cancel calls they received (`?job=…`) and the receiver its deliveries (`?name=…`). */
export const CANCELS_PATH = "/__cancels";
export const DELIVERIES_PATH = "/__deliveries";
export const STREAM_CALLS_PATH = "/__calls";

export interface RecordedCancel {
  jobId: string;
  signature: string;
}

export interface RecordedStreamCall {
  jobId: string | null;
  tenant: string | null;
  deadline: string | null;
  previewEvery: string | null;
  accept: string | null;
  signature: string;
  prompt: string | null;
}

export interface RecordedDelivery {
  name: string;
  headers: Record<string, string>;
  body: string;
  status: number;
}
