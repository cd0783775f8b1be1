import {
  type BackendGenerateResponse,
  Keyring,
  MemoryNonceStore,
  type ResolvedGenerationRequest,
} from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import type { ControlCatalog } from "../generation/controlnet-catalog.ts";
import type { Engine } from "../generation/engine.ts";
import { FakeEngine } from "../generation/fake-engine.ts";
import type { PromptCounter } from "../generation/prompt-counter.ts";
import { silentLogger } from "../logger.ts";
import type { LoraCatalog } from "../lora-catalog.ts";
import { ServingMetrics } from "../metrics/metrics.ts";
import { Dispatcher } from "../serving/dispatcher.ts";
import type { WatchdogSettings } from "../serving/engine-watchdog.ts";
import { createBackendApp, type Readiness } from "./app.ts";

/** Test support: the real app, queue and dispatcher over a {@link FakeEngine}. */
export const keyring = new Keyring([{ id: "k1", secret: "s".repeat(40) }]);
export const GENERATE = "/internal/v1/generate";
/** The name the test app answers to, and so the audience `signed` signs for. */
export const BACKEND_NAME = "test-backend";

export const request: ResolvedGenerationRequest = exampleResolvedRequest({
  prompt: "a lighthouse at dusk",
  seed: 3,
});

export interface SetupOptions {
  state?: Readiness["state"];
  queueSize?: number;
  maxBatch?: number;
  stepMs?: number;
  name?: string;
  watchdog?: Partial<WatchdogSettings>;
  /** How long replacing a hung engine takes (the same fake engine comes back, closed once more). */
  restartMs?: number;
  resumeGraceMs?: number;
  /** Each model's files digest, as the backend reports it. */
  versions?: Record<string, string>;
  /** The LoRA files the backend holds. */
  loras?: LoraCatalog;
  /** Counts prompts for `POST /internal/v1/tokenize`; without one the route answers 503. */
  prompts?: PromptCounter;
  /** The ControlNets and annotators the backend holds. */
  controls?: ControlCatalog;
  /** A real engine to serve instead of the {@link FakeEngine} (whose `stepMs` is then unused). */
  engine?: Engine;
}

export function setupApp(options: SetupOptions = {}) {
  // `engine` stays the fake (what tests inspect), unused when a real one is served.
  const engine = new FakeEngine(options.stepMs ?? 2);
  const metrics = new ServingMetrics({ defaultMetrics: false });
  const fatal: Error[] = [];
  const dispatcher = new Dispatcher({
    engine: options.engine ?? engine,
    queueSize: options.queueSize ?? 8,
    maxBatch: options.maxBatch ?? 1,
    metrics,
    logger: silentLogger,
    restartEngine: async () => {
      await new Promise((resolve) => setTimeout(resolve, options.restartMs ?? 0));
      return options.engine ?? engine;
    },
    onFatal: (error) => fatal.push(error),
    ...(options.watchdog ? { watchdog: options.watchdog } : {}),
  });
  const readiness: Readiness = { state: options.state ?? "ready" };
  const app = createBackendApp({
    name: options.name ?? BACKEND_NAME,
    keyring,
    nonces: new MemoryNonceStore(),
    readiness,
    serving: () => dispatcher,
    metrics,
    logger: silentLogger,
    defaultDeadlineMs: 60_000,
    previewEverySteps: 2,
    ...(options.resumeGraceMs === undefined ? {} : { resumeGraceMs: options.resumeGraceMs }),
    ...(options.versions === undefined ? {} : { versions: () => options.versions ?? {} }),
    ...(options.controls === undefined ? {} : { controls: () => options.controls ?? null }),
    ...(options.loras === undefined ? {} : { loras: () => options.loras as LoraCatalog }),
    ...(options.prompts === undefined
      ? {}
      : { prompts: () => (readiness.state === "ready" ? (options.prompts ?? null) : null) }),
  });
  return { app, engine, dispatcher, readiness, metrics, fatal };
}

/**
 * A signed POST (a GET when `body` is `null`) for the backend named `audience`; `headers` are extra
 * (context) headers.
 */
export async function signed(
  path: string,
  body: string | null,
  headers: Record<string, string> = {},
  signer = keyring,
  audience = BACKEND_NAME,
): Promise<RequestInit> {
  // The signature covers the context headers, so sign exactly the ones this request sends.
  const context = Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  const method = body === null ? "GET" : "POST";
  const signature = await signer.sign({ method, path, body: body ?? "", headers: context, audience });
  const all = { ...signature, "content-type": "application/json", ...headers };
  return body === null ? { method, headers: all } : { method, body, headers: all };
}

export async function generateInit(
  overrides: Partial<ResolvedGenerationRequest> = {},
  headers: Record<string, string> = {},
): Promise<RequestInit> {
  return signed(GENERATE, JSON.stringify({ ...request, ...overrides }), headers);
}

export type { BackendGenerateResponse };

/** Parses a `text/event-stream` body into its events. */
export function parseSse(text: string): { id: string | undefined; event: string; data: unknown }[] {
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "" && !block.startsWith(":"))
    .map((block) => {
      const fields = Object.fromEntries(
        block
          .split("\n")
          .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)]),
      );
      return { id: fields.id, event: fields.event ?? "message", data: JSON.parse(fields.data ?? "null") };
    });
}

/**
 * Sends a request and waits until the dispatcher holds it (signature checks are asynchronous, so
 * requests sent together may arrive in any order); returns the pending response, wrapped.
 */
export async function enqueue(
  setup: ReturnType<typeof setupApp>,
  init: RequestInit,
): Promise<{ response: Promise<Response> }> {
  const { app, dispatcher } = setup;
  const held = () => {
    const { queueDepth, inFlight } = dispatcher.snapshot();
    return queueDepth + inFlight;
  };
  const before = held();
  const response = Promise.resolve(app.request(GENERATE, init));
  for (let i = 0; i < 200 && held() === before; i++) await new Promise((resolve) => setTimeout(resolve, 1));
  // Wrapped: an async function returning a promise would wait for it.
  return { response };
}

/**
 * The backend's app over a real engine (a worker-thread one, in tests that need the real pipelines),
 * ready, with a dispatcher of queue 8 and batches of 4.
 */
export function appOnEngine(engine: Engine, options: Partial<Parameters<typeof createBackendApp>[0]> = {}) {
  const metrics = new ServingMetrics({ defaultMetrics: false });
  const dispatcher = new Dispatcher({ engine, queueSize: 8, maxBatch: 4, metrics, logger: silentLogger });
  return createBackendApp({
    name: BACKEND_NAME,
    keyring,
    nonces: new MemoryNonceStore(),
    readiness: { state: "ready" },
    serving: () => dispatcher,
    metrics,
    logger: silentLogger,
    defaultDeadlineMs: 60_000,
    previewEverySteps: 10,
    ...options,
  });
}
