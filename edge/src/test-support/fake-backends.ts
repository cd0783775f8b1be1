import type { PromptTokens } from "@sdgate/shared";

/**
 * The contract between the Node-side global setup (edge/test/global-setup.ts), which starts fake GPU
 * backends on 127.0.0.1, and the tests in workerd, which receive it as the `FAKE_BACKENDS` binding.
 */
export const FAKE_BEHAVIOURS = [
  /** Answers 200 with a small real PNG per image. */
  "healthy",
  /** A second healthy backend, to see who served a request. */
  "healthyB",
  /** 503 with an error envelope and `Retry-After: 2`. */
  "unavailable",
  /** 429 with an error envelope and `Retry-After: 3`. */
  "rateLimited",
  /** Healthy, but only after {@link SLOW_BACKEND_DELAY_MS}. */
  "slow",
  /** 400 `invalid_request` naming `prompt`, as a backend that disagrees with the request would. */
  "badRequest",
  /** 200 with a body that is not a generate response. */
  "malformed",
  /** 500 with an envelope and no `Retry-After`: a backend failing outright. */
  "flaky",
  /** Healthy, but reports a long queue (`X-Queue-Depth: 40`, `X-Estimated-Wait-Ms: 8000`). */
  "busy",
  /** Healthy or 500 as the tests switch it: `POST /__mode?mode=fail|ok` (see {@link MODE_PATH}). */
  "switchable",
] as const;
export type FakeBehaviour = (typeof FAKE_BEHAVIOURS)[number];

export const SLOW_BACKEND_DELAY_MS = 1_500;

/** The path where a fake backend lists the generate calls it received: `GET /__calls?prompt=…`. */
export const CALLS_PATH = "/__calls";

/** Where the `switchable` fake is told to fail (`?mode=fail`) or serve (`?mode=ok`). */
export const MODE_PATH = "/__mode";

/** What every fake that serves reports about its queue; `busy` reports more. */
export const FAKE_LOAD_HEADERS = { "x-queue-depth": "0", "x-estimated-wait-ms": "0" } as const;
export const BUSY_LOAD_HEADERS = { "x-queue-depth": "40", "x-estimated-wait-ms": "8000" } as const;

export interface FakeBackends {
  /** The keyring spec the fakes verify with (`id:secret`); the edge under test signs with it. */
  hmacKeys: string;
  /** One base URL per behaviour, and `down`: a port where nothing listens. */
  urls: Record<FakeBehaviour | "down", string>;
}

/** One call as a fake backend recorded it. */
export interface RecordedCall {
  method: string;
  path: string;
  /** `"ok"`, or why `Keyring.verify` refused the signature. */
  signature: string;
  keyId: string | null;
  /** The context headers as they arrived (every one covered by the signature). */
  requestId: string | null;
  tenant: string | null;
  deadline: string | null;
  /** The backend name the edge signed the request for. */
  audience: string | null;
  receivedAtMs: number;
  body: unknown;
}

/** What every plain fake answers at its signed `GET /internal/v1/status`. */
/**
 * The files digest each fake reports holding for `tiny` (registry serving tests): `healthyB` holds
 * another version than every other fake, so a test can tell which backends a version may go to.
 */
export const FAKE_TINY_DIGESTS = { common: "c".repeat(64), healthyB: "b".repeat(64) } as const;

/** The digest a fake holds for `tiny`. */
export const fakeTinyDigest = (behaviour: FakeBehaviour) =>
  behaviour === "healthyB" ? FAKE_TINY_DIGESTS.healthyB : FAKE_TINY_DIGESTS.common;

/**
 * The LoRA and ControlNet model every plain fake reports holding (adapter routing tests): a test
 * registers an adapter with one of these digests, under any name, for the fakes to serve it.
 */
export const FAKE_ADAPTERS = [
  { kind: "lora", name: "fake-ink", digest: "a".repeat(64) },
  { kind: "controlnet", name: "fake-canny", digest: "d".repeat(64) },
] as const;

/**
 * What every plain fake reports its models to be built like (architecture detection tests): an SDXL
 * base and its refiner that the edge's catalog need not declare.
 */
export const FAKE_ARCHITECTURES = {
  tiny: "sd1",
  "fake-xl": "sdxl",
  "fake-xl-refiner": "sdxl-refiner",
} as const;

export const FAKE_STATUS = {
  status: "ready",
  queue_depth: 0,
  in_flight: 0,
  estimated_wait_ms: 0,
  models: ["tiny"],
  queue_size: 8,
  max_batch: 1,
  step_ms: { tiny: { "512x512": 90 } },
} as const;

/**
 * What the plain fakes answer at `POST /internal/v1/tokenize` for `tiny`: a word a token, a chunk
 * between BREAKs. Not CLIP (the real count is the backend's, tested there); enough to see the edge
 * pass on what the backend said.
 */
export function fakePromptTokens(model: string, prompt: string): PromptTokens {
  const chunks: PromptTokens["chunks"] = [];
  let from = 0;
  for (const part of prompt.split("BREAK")) {
    const words = [...part.matchAll(/\S+/g)];
    const start = from + (words[0]?.index ?? 0);
    const last = words.at(-1);
    const end = last === undefined ? start : from + last.index + last[0].length;
    chunks.push({ tokens: Math.min(words.length, 75), start, end, over_limit: chunks.length >= 8 });
    from += part.length + "BREAK".length;
  }
  const total = chunks.reduce((sum, chunk) => sum + chunk.tokens, 0);
  return {
    object: "prompt.tokens",
    model,
    chunk_tokens: 75,
    max_chunks: 8,
    total_tokens: total,
    tokens_over_limit: chunks.slice(8).reduce((sum, chunk) => sum + chunk.tokens, 0),
    chunks,
  };
}
