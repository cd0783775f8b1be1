import {
  EXPERIMENT_HEADER,
  type GenerationResponse,
  type generationRequestSchema,
  generationResponseSchema,
  type JobProgressData,
  type JobView,
  type JobWithResult,
  jobViewSchema,
  randomHex,
  statusOf,
  typeOf,
  type UrlGenerationResponse,
  urlGenerationResponseSchema,
} from "@sdgate/shared";
import type { z } from "zod";
import { SdgateApiError } from "../errors/api-error.ts";
import { callOf } from "../http/operation.ts";
import type { Answer, RequestOptions, Transport } from "../http/transport.ts";
import type { Jobs } from "./jobs.ts";

/**
 * A generation request as written (scheduler aliases and all), the body `POST /v1/images/generations` takes.
 *
 * @example
 * const body: GenerationBody = { prompt: "a lighthouse", scheduler: "DPM++ 2M Karras", steps: 25, seed: 1 };
 */
export type GenerationBody = z.input<typeof generationRequestSchema>;

/**
 * The answer's shape follows the request's `response_format`.
 *
 * @example
 * type Linked = GenerationResponseFor<{ prompt: string; response_format: "url" }>; // data[i].url
 */
export type GenerationResponseFor<B extends GenerationBody> = B extends { response_format: "url" }
  ? UrlGenerationResponse
  : GenerationResponse;

/**
 * The replay cache for this request (`Cache-Control`): `default` reads and fills it, `no-cache`
 * generates afresh and refills it, `no-store` neither reads nor fills it.
 *
 * @example
 * await client.images.generate(body, { cache: "no-cache" });
 */
export type CacheMode = "default" | "no-cache" | "no-store";

/**
 * Where the answer came from (`X-Cache`).
 *
 * @example
 * if ((await client.images.generate(body)).cache === "HIT") console.log("no GPU time spent");
 */
export type CacheStatus = "HIT" | "MISS" | "BYPASS" | "COALESCED";

/**
 * `images.generate`'s options.
 *
 * @example
 * await client.images.generate(body, { cache: "no-store", timeoutMs: 120_000, onProgress: (p) => console.log(p.fraction) });
 */
export interface GenerateOptions extends RequestOptions {
  cache?: CacheMode;
  /** The team's experiment the run joins, by name (`Sdgate-Experiment`; made on first use). */
  experiment?: string;
  /**
   * Sent as `Idempotency-Key`. The edge keys jobs by it, so it only matters when the edge decides to
   * answer this request as a job (a request estimated above its auto-async threshold).
   */
  idempotencyKey?: string;
  /** When the edge answers with a job: its progress while the SDK waits for it. */
  onProgress?: (progress: JobProgressData) => void;
}

/**
 * `images.generateAsync`'s options.
 *
 * @example
 * await client.images.generateAsync(body, { idempotencyKey: orderId, webhookUrl: "https://example.com/hooks/sdgate", previewEvery: 5 });
 */
export interface AsyncGenerateOptions extends RequestOptions {
  cache?: CacheMode;
  /** The team's experiment the run joins, by name (`Sdgate-Experiment`; made on first use). */
  experiment?: string;
  /**
   * The same key and body give the same job (a different body with it: 422 `idempotency_key_reused`).
   * Without one the SDK makes one per call, so that its own retries never start a second job.
   */
  idempotencyKey?: string;
  /** An https URL the edge POSTs the ended job to, signed (see `verifyWebhook`). */
  webhookUrl?: string;
  /** A small preview image in every n-th `progress` event. */
  previewEvery?: number;
}

/**
 * A synchronous generation's answer and the headers worth knowing.
 *
 * @example
 * const { response, requestId, cache, backend, attempts } = await client.images.generate(body);
 */
export interface Generation<R = GenerationResponse> {
  response: R;
  requestId: string | null;
  /** `null` when the edge ran the request as a job. */
  cache: CacheStatus | null;
  backend: string | null;
  backendRegion: string | null;
  /** Backends tried (`X-Attempts`). */
  attempts: number | null;
  /** `Server-Timing`: the fleet's, the engine's and the edge's time. */
  serverTiming: string | null;
  /** The job, when the edge chose to run the request as one (a 202) and the SDK waited for it. */
  job: JobWithResult | null;
}

const CACHE_CONTROL: Record<Exclude<CacheMode, "default">, string> = {
  "no-cache": "no-cache",
  "no-store": "no-store",
};

function cacheHeader(mode: CacheMode | undefined): Record<string, string> {
  return mode === undefined || mode === "default" ? {} : { "Cache-Control": CACHE_CONTROL[mode] };
}

function experimentHeader(name: string | undefined): Record<string, string> {
  return name === undefined ? {} : { [EXPERIMENT_HEADER]: name };
}

function numberHeader(headers: Headers, name: string): number | null {
  const value = headers.get(name);
  return value === null || !/^\d+$/.test(value) ? null : Number(value);
}

function jobFailure(job: JobView, answer: Answer): SdgateApiError {
  const code = job.error?.code ?? (job.status === "cancelled" ? "cancelled" : "internal_error");
  return new SdgateApiError(job.error?.message ?? `The job ${job.id} ended ${job.status}.`, {
    status: statusOf(code),
    type: typeOf(code),
    code,
    param: job.error?.param ?? null,
    requestId: answer.requestId,
    retryAfterMs: null,
    headers: answer.response.headers,
  });
}

/**
 * `POST /v1/images/generations` (operationId `createImage`) and `GET /v1/images/{id}` (`getImageFile`).
 *
 * @example
 * const { response, cache } = await client.images.generate({ prompt: "a lighthouse at dusk", seed: 42 });
 */
export class Images {
  readonly #transport: Transport;
  readonly #jobs: Jobs;

  constructor(transport: Transport, jobs: Jobs) {
    this.#transport = transport;
    this.#jobs = jobs;
  }

  /**
   * Generates and answers with the images. A request the edge decides to run as a job (202: one
   * estimated above its auto-async threshold) is followed to its end, with `onProgress`, and
   * answered with the job's result; a job that fails throws its error as an {@link SdgateApiError}.
   *
   * @example
   * const { response, requestId, cache, backend } = await client.images.generate(
   *   { prompt: "a lighthouse at dusk", size: "512x512", seed: 42 },
   *   { signal: AbortSignal.timeout(60_000) },
   * );
   * const png = Uint8Array.from(atob(response.data[0].b64_json), (c) => c.charCodeAt(0));
   */
  async generate<B extends GenerationBody>(
    body: B,
    options: GenerateOptions = {},
  ): Promise<Generation<GenerationResponseFor<B>>> {
    const startedMs = Date.now();
    const spec = callOf("createImage", {
      body,
      headers: {
        ...cacheHeader(options.cache),
        ...experimentHeader(options.experiment),
        ...(options.idempotencyKey === undefined ? {} : { "Idempotency-Key": options.idempotencyKey }),
      },
      // Replayable: with a fixed seed and the replay cache in use, the edge answers the same request
      // from the same key from its cache (or joins it to the identical generation still running), so
      // a retry costs no second GPU run and no second charge. Without a seed each try is a new image
      // and a new charge; with `no-cache`/`no-store` each try runs on a GPU again. An Idempotency-Key
      // does not help here: the edge only dedupes jobs by it, never a synchronous generation.
      idempotent: typeof body.seed === "number" && (options.cache ?? "default") === "default",
    });
    const schema = body.response_format === "url" ? urlGenerationResponseSchema : generationResponseSchema;
    const answer = await this.#transport.json(
      spec,
      (json) =>
        (json as { object?: unknown }).object === "generation.job"
          ? jobViewSchema.parse(json)
          : schema.parse(json),
      options,
    );
    const headers = answer.response.headers;
    if (answer.response.status !== 202) {
      return {
        response: answer.data as GenerationResponseFor<B>,
        requestId: answer.requestId,
        cache: (headers.get("x-cache") as CacheStatus | null) ?? null,
        backend: headers.get("x-backend"),
        backendRegion: headers.get("x-backend-region"),
        attempts: numberHeader(headers, "x-attempts"),
        serverTiming: headers.get("server-timing"),
        job: null,
      };
    }
    const accepted = answer.data as JobView;
    // The rest of this call's limit (its own, or the client's) covers waiting for the job.
    const timeoutMs = options.timeoutMs === undefined ? this.#transport.defaultTimeoutMs : options.timeoutMs;
    const job = await this.#jobs.wait(accepted.id, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
      ...(timeoutMs === null ? {} : { timeoutMs: Math.max(1, timeoutMs - (Date.now() - startedMs)) }),
    });
    if (job.status !== "succeeded" || job.result === undefined) throw jobFailure(job, answer);
    return {
      response: schema.parse(job.result) as GenerationResponseFor<B>,
      requestId: answer.requestId,
      cache: null,
      backend: job.backend,
      backendRegion: null,
      attempts: job.attempts,
      serverTiming: null,
      job,
    };
  }

  /**
   * Starts the generation as a job (`Prefer: respond-async`) and answers with it at once (202). Follow
   * it with `client.jobs.wait(job.id)` or `client.jobs.events(job.id)`.
   *
   * @example
   * const job = await client.images.generateAsync({ prompt: "a lighthouse at dusk", steps: 50 }, { previewEvery: 10 });
   * const done = await client.jobs.wait(job.id, { onProgress: (p) => console.log(Math.round(p.fraction * 100), "%") });
   */
  async generateAsync(body: GenerationBody, options: AsyncGenerateOptions = {}): Promise<JobView> {
    const headers: Record<string, string> = {
      Prefer: "respond-async",
      // One key for every try of this call: a retry after a lost answer finds the job the first try made.
      "Idempotency-Key": options.idempotencyKey ?? `sdk-${randomHex(16)}`,
      ...cacheHeader(options.cache),
      ...experimentHeader(options.experiment),
    };
    if (options.webhookUrl !== undefined) headers["Sdgate-Webhook-Url"] = options.webhookUrl;
    if (options.previewEvery !== undefined) headers["Sdgate-Preview-Every"] = String(options.previewEvery);
    // Retried: the Idempotency-Key finds the job a lost first try made.
    const spec = callOf("createImage", { body, headers, idempotent: true });
    const { data } = await this.#transport.json(spec, (json) => jobViewSchema.parse(json), options);
    return data;
  }

  /**
   * The bytes behind a signed image link (`response_format: "url"`); the link is the permission, so no
   * key is sent with it.
   *
   * @example
   * const { bytes, contentType } = await client.images.getFile(response.data[0].url);
   */
  async getFile(
    url: string,
    options: RequestOptions = {},
  ): Promise<{ bytes: Uint8Array; contentType: string | null }> {
    const answer = await this.#transport.bytes(callOf("getImageFile", { link: url }), options);
    return { bytes: answer.bytes, contentType: answer.response.headers.get("content-type") };
  }
}
