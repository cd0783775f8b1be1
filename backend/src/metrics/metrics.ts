import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

const PREFIX = "sdgate_";
/** Seconds; a generation from the tiny model's tens of milliseconds to SDXL's minutes on a busy queue. */
const GENERATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300];
/** Seconds; from a cached tiny-model request to a queue of minutes. */
const QUEUE_WAIT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const STAGE_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The stages a response's `timings_ms` reports, as metric labels. */
export const STAGES = [
  "tokenize",
  "text_encode",
  "prepare_latents",
  "denoise",
  "decode",
  "image_encode",
] as const;
export type Stage = (typeof STAGES)[number];

/**
 * The backend's Prometheus metrics, `sdgate_` prefixed and in base units (seconds, bytes), on their
 * own registry so each app (and each test) has its own. Rates (images/s, steps/s) are `rate()` of the
 * counters; process memory and CPU come from prom-client's default metrics.
 *
 * @example
 * const metrics = new ServingMetrics();
 * metrics.imagesTotal.inc(4);
 * const text = await metrics.registry.metrics();
 */
export class ServingMetrics {
  readonly registry = new Registry();
  readonly queueDepth: Gauge;
  readonly inFlight: Gauge;
  readonly requestsTotal: Counter<"status">;
  readonly queueWaitSeconds: Histogram;
  readonly stageSeconds: Histogram<"stage">;
  readonly batchImages: Histogram;
  readonly imagesTotal: Counter;
  readonly stepsTotal: Counter;
  readonly executionProvider: Gauge<"model" | "provider">;
  readonly modelLoadSeconds: Gauge<"model">;
  readonly engineHeapUsedBytes: Gauge;
  readonly engineRestarts: Counter<"cause">;
  readonly engineReady: Gauge;
  /** Generate calls that ended, by model, registry version (first 12 digits of its digest) and outcome. */
  readonly generationsTotal: Counter<"model" | "version" | "outcome">;
  /** A generate call's time from arrival to its answer, queue included, by model and version. */
  readonly generationSeconds: Histogram<"model" | "version">;
  #engineHeap: (() => Promise<number>) | undefined;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    if (options.defaultMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
      dropTotalGauges(this.registry);
    }
    this.queueDepth = new Gauge({
      name: `${PREFIX}queue_depth`,
      help: "Jobs waiting for the engine.",
      registers,
    });
    this.inFlight = new Gauge({ name: `${PREFIX}in_flight`, help: "Jobs the engine is running.", registers });
    this.requestsTotal = new Counter({
      name: `${PREFIX}requests_total`,
      help: "Generate requests answered, by HTTP status (a stream counts by its final event).",
      labelNames: ["status"],
      registers,
    });
    this.queueWaitSeconds = new Histogram({
      name: `${PREFIX}queue_wait_seconds`,
      help: "Time from a job's arrival to its start.",
      buckets: QUEUE_WAIT_BUCKETS,
      registers,
    });
    this.stageSeconds = new Histogram({
      name: `${PREFIX}stage_duration_seconds`,
      help: "Time a job spent in each stage (a batched job shares the batch's denoise).",
      labelNames: ["stage"],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.batchImages = new Histogram({
      name: `${PREFIX}batch_images`,
      help: "Images per engine batch.",
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32],
      registers,
    });
    this.imagesTotal = new Counter({ name: `${PREFIX}images_total`, help: "Images generated.", registers });
    this.stepsTotal = new Counter({
      name: `${PREFIX}steps_total`,
      help: "Denoising steps taken, one per image per step.",
      registers,
    });
    this.executionProvider = new Gauge({
      name: `${PREFIX}execution_provider_info`,
      help: "The onnxruntime execution provider each model runs on (value 1).",
      labelNames: ["model", "provider"],
      registers,
    });
    this.modelLoadSeconds = new Gauge({
      name: `${PREFIX}model_load_seconds`,
      help: "Time to load and warm up each model.",
      labelNames: ["model"],
      registers,
    });
    this.engineRestarts = new Counter({
      name: `${PREFIX}engine_restarts_total`,
      help: "Engines replaced by the watchdog, by cause: deadline (a batch outlived its deadlines) or stalled (no progress).",
      labelNames: ["cause"],
      registers,
    });
    this.engineReady = new Gauge({
      name: `${PREFIX}engine_ready`,
      help: "1 while the engine takes jobs, 0 while a hung one is being replaced.",
      registers,
    });
    const metrics = this;
    this.generationsTotal = new Counter({
      name: `${PREFIX}generations_total`,
      help: "Generate calls that ended, by model, version (its files digest, first 12 hex digits) and outcome (ok, error: a 5xx, rejected: a 4xx).",
      labelNames: ["model", "version", "outcome"],
      registers,
    });
    this.generationSeconds = new Histogram({
      name: `${PREFIX}generation_duration_seconds`,
      help: "A generate call's time from arrival to its answer, queue included, by model and version: a canary's latency beside the stable version's.",
      labelNames: ["model", "version"],
      buckets: GENERATION_BUCKETS,
      registers,
    });
    this.engineHeapUsedBytes = new Gauge({
      name: `${PREFIX}engine_heap_used_bytes`,
      help: "JavaScript heap in use by the engine's worker thread (the main thread's is nodejs_heap_size_used_bytes); with resident memory it tells JavaScript growth from native.",
      registers,
      async collect() {
        const read = metrics.#engineHeap;
        if (read !== undefined) this.set(await read().catch(() => Number.NaN));
      },
    });
  }

  /** Where `sdgate_engine_heap_used_bytes` comes from, read at each scrape. */
  readEngineHeapWith(read: () => Promise<number>): void {
    this.#engineHeap = read;
  }
}

/**
 * prom-client's default metrics include three gauges named `*_total` (`nodejs_active_handles_total`,
 * `…_requests_total`, `…_resources_total`), a suffix Prometheus keeps for counters (`promtool check
 * metrics` refuses them). Each is the sum of a gauge it also exports by `type`
 * (`nodejs_active_handles{type}`), so `sum()` over that one gives the same number.
 */
function dropTotalGauges(registry: Registry): void {
  for (const metric of registry.getMetricsAsArray()) {
    const { name } = metric as unknown as { name: string };
    if (metric instanceof Gauge && name.endsWith("_total")) registry.removeSingleMetric(name);
  }
}
