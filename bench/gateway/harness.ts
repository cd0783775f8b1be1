import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { Keyring, parseKeyringSpec, randomHex, resolveGenerationRequest, TINY_MODEL } from "@sdgate/shared";
import { progressBar } from "../lib/progress.ts";
import { type EdgeProcess, startEdge } from "./edge-process.ts";
import {
  BENCH_BACKEND_NAME,
  type BenchBackend,
  type BenchBackendOptions,
  startBenchBackend,
} from "./fake-backend.ts";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const GENERATE_PATH = "/internal/v1/generate";

/** The edge in workerd in front of one stand-in backend, with helpers to call both (run.ts, profile.ts). */
export interface GatewayHarness {
  edge: EdgeProcess;
  backend: BenchBackend;
  /** Creates a `generate` key through the admin API; returns its secret. */
  createKey(limits: Record<string, number | null>): Promise<string>;
  /** `POST /v1/images/generations` through the edge; throws unless it is 200 with `X-Cache: expectCache`. */
  viaEdge(key: string, body: unknown, expectCache?: string): Promise<Response>;
  /** The same generation straight to the backend, HMAC-signed as the edge signs it. */
  direct(prompt: string, seed: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LoadOptions {
  /** Shows a progress bar with this label. */
  label?: string;
  /**
   * The callers start spread evenly over this time instead of all at once, as callers of a
   * long-running service are spread by its calls' length.
   */
  staggerMs?: number;
  /** Each caller waits this long before each of its calls (off the clock), leaving the servers idle. */
  thinkMs?: number;
}

/**
 * Runs `total` calls of `one`, `concurrency` at a time; returns each call's latency in ms, indexed
 * by the `i` it was called with.
 */
export async function load(
  concurrency: number,
  total: number,
  one: (i: number) => Promise<void>,
  { label, staggerMs = 0, thinkMs = 0 }: LoadOptions = {},
) {
  const latencies: number[] = [];
  const bar = label ? progressBar(label, total) : null;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, caller) => {
      if (staggerMs > 0) await pause((caller * staggerMs) / concurrency);
      while (next < total) {
        const i = next++;
        if (thinkMs > 0) await pause(thinkMs);
        const startedMs = performance.now();
        await one(i);
        latencies[i] = performance.now() - startedMs;
        bar?.tick();
      }
    }),
  );
  bar?.done();
  return latencies;
}

/**
 * Open-loop load: `total` calls of `one` arriving as a Poisson process at `perSecond` on average
 * (exponential gaps from a seeded generator, the same every run), each started on time whether or not
 * earlier ones have answered, as independent clients arrive. A latency counts from the call's
 * scheduled arrival, so a load generator that falls behind shows up in it instead of hiding (no
 * coordinated omission). Returns each call's latency in ms, indexed by `i`.
 */
export async function openLoad(
  perSecond: number,
  total: number,
  one: (i: number) => Promise<void>,
  { label, seed = 1 }: { label?: string; seed?: number } = {},
): Promise<number[]> {
  const latencies: number[] = [];
  const bar = label ? progressBar(label, total) : null;
  // mulberry32: small, seeded, good enough to space arrivals.
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const startedAt = performance.now();
  let arrival = 0;
  const calls: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    arrival += (-Math.log(1 - random()) / perSecond) * 1000;
    const wait = startedAt + arrival - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const scheduled = startedAt + arrival;
    calls.push(
      one(i).then(() => {
        latencies[i] = performance.now() - scheduled;
        bar?.tick();
      }),
    );
  }
  await Promise.all(calls);
  bar?.done();
  return latencies;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** The body every bench request sends: the smallest generation the tiny model accepts. */
export function requestBody(prompt: string, seed: number) {
  return { prompt, seed, size: "64x64", steps: 1 };
}

export async function startGatewayHarness(options: {
  /** How long the backend holds a `[hold]` generation (ms). */
  holdMs: number;
  /** How long the backend takes for every generation (ms); see {@link BenchBackendOptions}. */
  generateMs?: number;
  port?: number;
  inspectorPort?: number;
}): Promise<GatewayHarness> {
  const hmacSpec = `bench:${randomHex(32)}`;
  const parsedKeys = parseKeyringSpec(hmacSpec);
  if (!parsedKeys.ok) throw new Error(parsedKeys.error);
  const keyring = new Keyring(parsedKeys.value);
  const adminToken = randomHex(32);
  const backend = await startBenchBackend(keyring, {
    holdMs: options.holdMs,
    ...(options.generateMs === undefined ? {} : { generateMs: options.generateMs }),
  });
  const registry = {
    fleet: "bench",
    pools: [{ name: BENCH_BACKEND_NAME, url: backend.url, provider: "bench", region: "local", priority: 0 }],
  };
  process.stderr.write("starting the edge (the deploy bundle in workerd, via Miniflare)…\n");
  const edge = await startEdge({
    repoRoot: REPO_ROOT,
    port: options.port ?? (await freePort()),
    ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
    vars: {
      SDGATE_HMAC_KEYS: hmacSpec,
      SDGATE_BACKENDS: JSON.stringify(registry),
      SDGATE_ADMIN_TOKEN: adminToken,
      SDGATE_URL_SIGNING_KEY: randomHex(32),
      SDGATE_BACKEND_TIMEOUT_MS: "30000",
    },
  });
  return {
    edge,
    backend,
    async createKey(limits) {
      const res = await fetch(`${edge.url}/admin/keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: JSON.stringify({ name: "bench", scopes: ["generate"], limits }),
      });
      if (res.status !== 201) throw new Error(`POST /admin/keys answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { key: string }).key;
    },
    async viaEdge(key, body, expectCache) {
      const res = await fetch(`${edge.url}/v1/images/generations`, {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      await res.arrayBuffer();
      if (expectCache !== undefined && (res.status !== 200 || res.headers.get("x-cache") !== expectCache)) {
        throw new Error(
          `the edge answered ${res.status} X-Cache ${res.headers.get("x-cache")}, expected 200 ${expectCache}`,
        );
      }
      return res;
    },
    async direct(prompt, seed) {
      const resolved = resolveGenerationRequest(requestBody(prompt, seed), TINY_MODEL, seed);
      if (!resolved.ok) throw new Error(resolved.error.message);
      const body = JSON.stringify(resolved.value);
      const signature = await keyring.sign({
        method: "POST",
        path: GENERATE_PATH,
        body,
        audience: BENCH_BACKEND_NAME,
      });
      const res = await fetch(`${backend.url}${GENERATE_PATH}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...signature },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`the backend answered ${res.status}`);
    },
    async stop() {
      await edge.stop();
      await backend.close();
    },
  };
}
