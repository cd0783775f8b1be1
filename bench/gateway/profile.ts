/**
 * `node bench/gateway/profile.ts`: where a cache hit's and a miss's workerd CPU goes. Runs the edge
 * as `run.ts` does, opens workerd's V8 inspector and records a sampling CPU profile of the Worker's
 * isolate (the edge and its Durable Objects share it) while it serves hits at concurrency 32, then
 * misses at concurrency 1. Each sample is charged to the innermost step of the request path on its
 * stack (the bundle's source map names the file; see STEPS): e.g. SHA-256 under the auth middleware counts as
 * "API key lookup", SHA-256 under the audit log as "audit". Samples in no JavaScript (`(program)`:
 * workerd's C++ — HTTP, RPC, SQLite — and other isolates: Miniflare's storage simulators) are shown
 * apart, against workerd's process CPU from /proc.
 *
 * `--backend-ms N` makes the stand-in backend take N ms per generation (run.ts explains why).
 *
 *   node bench/gateway/profile.ts [--hit-seconds 5] [--misses 300] [--interval-us 100] [--backend-ms 0] [--miss-concurrency 1]
 */
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { randomHex } from "@sdgate/shared";
import { describeMachine } from "../lib/machine.ts";
import { freePort, load, requestBody, startGatewayHarness } from "./harness.ts";
import { workerdCpuMs } from "./process-cpu.ts";

const { values: args } = parseArgs({
  options: {
    "hit-seconds": { type: "string", default: "5" },
    misses: { type: "string", default: "300" },
    "interval-us": { type: "string", default: "100" },
    "backend-ms": { type: "string", default: "0" },
    "miss-concurrency": { type: "string", default: "1" },
    /**
     * Also profile Miniflare's own isolates (storage simulators). Their samples overlap the edge's
     * (each isolate's sampler counts time the thread spent elsewhere), so only for a rough look.
     */
    "all-isolates": { type: "boolean", default: false },
    /** Also list the functions with the most self time, this many. */
    top: { type: "string" },
  },
});
const hitSeconds = Number(args["hit-seconds"]);
const misses = Number(args.misses);
const intervalUs = Number(args["interval-us"]);
const backendMs = Number(args["backend-ms"]);
const missConcurrency = Number(args["miss-concurrency"]);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** One Chrome DevTools Protocol session over the inspector's WebSocket, to one isolate. */
async function connect(webSocketDebuggerUrl: string) {
  const socket = new WebSocket(webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 1;
  const waiting = new Map<number, (result: unknown) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) waiting.get(message.id)?.(message.result);
  };
  return {
    send<T>(method: string, params: object = {}): Promise<T> {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise((resolve) => waiting.set(id, resolve as (result: unknown) => void));
    },
    close: () => socket.close(),
  };
}

type Session = Awaited<ReturnType<typeof connect>>;

/** Every isolate workerd runs: the edge's, and Miniflare's (its storage simulators, entry, cache). */
async function connectAll(inspectorPort: number): Promise<Array<{ id: string; session: Session }>> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{
    id: string;
    webSocketDebuggerUrl: string;
  }>;
  return Promise.all(
    targets.map(async (t) => ({ id: t.id, session: await connect(t.webSocketDebuggerUrl) })),
  );
}

/** Busy time (every sample but idle) of one isolate's profile, in ms. */
function busyMs(profile: Profile): number {
  const idle = new Set(profile.nodes.filter((n) => n.callFrame.functionName === "(idle)").map((n) => n.id));
  let total = 0;
  profile.samples.forEach((leaf, i) => {
    if (!idle.has(leaf)) total += (profile.timeDeltas[i] ?? 0) / 1000;
  });
  return total;
}

// A sample is charged to the innermost frame that belongs to a step of the request path (matched on
// the source file, or file and function); helpers (zod, Hono, SHA-256 and canonical JSON, D1's client)
// have no step of their own, so their time goes to the step that called them: SHA-256 under the auth
// middleware is "API key lookup", under the audit log "audit". Middleware that awaits `next()` is on
// the stack of everything after it only until its first await, so innermost (not outermost) wins.
const STEPS: Array<[RegExp, string]> = [
  [/edge\/src\/limits\/key-state\.ts/, "KeyState DO: authenticate + admit (in the object)"],
  [/edge\/src\/limits\//, "KeyState call, edge side (RPC, RateLimit headers)"],
  [/edge\/src\/audit\//, "audit: entry, batch, chain hash, D1 batch"],
  [/edge\/src\/cache\/(coalescer|stored-index|job|store)\.ts/, "coalescer DO, R2 store, backend job"],
  [/edge\/src\/backends\//, "backend call (routing, signing, fetch)"],
  [
    /edge\/src\/middleware\/auth\/|edge\/src\/api-keys\.ts|edge\/src\/keys\//,
    "API key lookup (SHA-256, record)",
  ],
  [/shared\/src\/generation-request\.ts/, "request validation (zod) + resolve"],
  [
    /shared\/src\/canonical\.ts#requestHash|edge\/src\/cache\/key\.ts/,
    "canonical JSON + cache key / request hashes",
  ],
  [/edge\/src\/cache\//, "replay cache lookup + response body"],
  [/edge\/src\/jobs\//, "async check (acceptAsync)"],
  [/edge\/src\/middleware\/request-id\//, "request id"],
  [/edge\/src\/middleware\/error-handler\//, "error handler"],
  [/edge\/src\/routes\/generations\.ts/, "route handler (body text, JSON.parse, response headers)"],
  [/edge\/src\/(env|index)\.ts/, "config middleware"],
  [/edge\/src\/log\.ts/, "logging"],
  // D1's client runs in the caller's isolate; on these paths only the audit log's batches use it.
  [/cloudflare-internal:d1-api/, "audit: entry, batch, chain hash, D1 batch"],
];
const GLUE: Array<[RegExp, string]> = [[/node_modules\/hono\//, "Hono (routing, context, Response)"]];

function charge(profile: Profile, map: SourceMap) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const fileOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const { url, lineNumber, columnNumber, functionName } = node.callFrame;
    if (url.endsWith("index.js") && lineNumber >= 0) {
      const entry = map.findEntry(lineNumber, columnNumber) as { originalSource?: string };
      fileOf.set(node.id, `${entry.originalSource ?? url}#${functionName}`);
    } else fileOf.set(node.id, url === "" ? functionName : url);
  }
  const stepOf = new Map<number, string>();
  const stepFor = (leaf: number): string => {
    const cached = stepOf.get(leaf);
    if (cached) return cached;
    const stack: number[] = [];
    for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) stack.unshift(id);
    let step: string | null = null;
    let glue: string | null = null;
    for (const id of stack) {
      const file = fileOf.get(id) ?? "";
      step = STEPS.find(([pattern]) => pattern.test(file))?.[1] ?? step;
      glue = GLUE.find(([pattern]) => pattern.test(file))?.[1] ?? glue;
    }
    const leafName = byId.get(leaf)?.callFrame.functionName ?? "";
    const result =
      step ?? glue ?? (leafName.startsWith("(") ? leafName : `other JavaScript (${fileOf.get(leaf)})`);
    stepOf.set(leaf, result);
    return result;
  };
  const totals = new Map<string, number>();
  const selfByFunction = new Map<string, number>();
  profile.samples.forEach((leaf, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const step = stepFor(leaf);
    totals.set(step, (totals.get(step) ?? 0) + ms);
    const node = byId.get(leaf);
    const where = `${step} ← ${(fileOf.get(leaf) ?? "").replace(/^.*\/(edge|shared|node_modules)\//, "$1/")}:${node?.callFrame.lineNumber ?? 0}`;
    selfByFunction.set(where, (selfByFunction.get(where) ?? 0) + ms);
  });
  return { totals, selfByFunction };
}

const inspectorPort = await freePort();
const harness = await startGatewayHarness({ holdMs: 500, generateMs: backendMs, inspectorPort });
const map = new SourceMap(JSON.parse(readFileSync(join(harness.edge.bundleDir, "index.js.map"), "utf8")));
const isolates = await connectAll(inspectorPort);
const edgeIsolate = isolates.find((isolate) => isolate.id.endsWith(":sdgate-edge"));
if (!edgeIsolate) throw new Error("workerd's inspector lists no sdgate-edge isolate");
const inspector = edgeIsolate.session;
const others = args["all-isolates"] ? isolates.filter((isolate) => isolate !== edgeIsolate) : [];
const sampled = [edgeIsolate, ...others];
try {
  const key = await harness.createKey({ requests_per_minute: 1_000_000, concurrency: 10_000, credits: null });
  const run = randomHex(4);
  await load(8, 600, (i) => harness.viaEdge(key, requestBody(`warm ${run} ${i}`, i), "MISS").then(() => {}));
  const hitBody = requestBody(`hit ${run}`, 7);
  await harness.viaEdge(key, hitBody, "MISS");
  await harness.viaEdge(key, hitBody, "HIT");
  // `--interval-us 0`: no profiler, only throughput and /proc CPU (for comparing variants quickly).
  if (intervalUs > 0) {
    for (const { session } of sampled) {
      await session.send("Profiler.enable");
      await session.send("Profiler.setSamplingInterval", { interval: intervalUs });
    }
  }

  const phases: Array<{
    name: string;
    requests: number;
    perSecond: number;
    totals: Map<string, number>;
    selfByFunction: Map<string, number>;
    otherIsolates: Map<string, number>;
    cpuMs: number;
  }> = [];
  const profiled = async (name: string, work: () => Promise<number>) => {
    if (intervalUs > 0) for (const { session } of sampled) await session.send("Profiler.start");
    const cpuBefore = workerdCpuMs() ?? 0;
    const startedMs = performance.now();
    const requests = await work();
    const seconds = (performance.now() - startedMs) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 100)); // background work (audit, settle) ends
    const cpuMs = (workerdCpuMs() ?? 0) - cpuBefore;
    const empty = { totals: new Map<string, number>(), selfByFunction: new Map<string, number>() };
    const charged =
      intervalUs > 0
        ? charge((await inspector.send<{ profile: Profile }>("Profiler.stop")).profile, map)
        : empty;
    const otherIsolates = new Map<string, number>();
    if (intervalUs > 0) {
      for (const { id, session } of others) {
        const { profile } = await session.send<{ profile: Profile }>("Profiler.stop");
        const ms = busyMs(profile);
        if (ms > 0) otherIsolates.set(id, ms);
      }
    }
    phases.push({ name, requests, perSecond: requests / seconds, ...charged, otherIsolates, cpuMs });
  };
  await profiled(`hits, concurrency 32, ${hitSeconds} s`, async () => {
    let hits = 0;
    const deadline = performance.now() + hitSeconds * 1000;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (performance.now() < deadline) {
          await harness.viaEdge(key, hitBody, "HIT");
          hits++;
        }
      }),
    );
    return hits;
  });
  await profiled(`misses, concurrency ${missConcurrency}, ${misses} requests`, async () => {
    await load(
      missConcurrency,
      misses,
      (i) => harness.viaEdge(key, requestBody(`m ${run} ${i}`, i), "MISS").then(() => {}),
      { staggerMs: backendMs },
    );
    return misses;
  });

  console.log("### Where the edge's workerd CPU goes (V8 sampling profile of the Worker's isolate)\n");
  console.log(
    `- command: \`node bench/gateway/profile.ts --hit-seconds ${hitSeconds} --misses ${misses} --interval-us ${intervalUs}${backendMs > 0 ? ` --backend-ms ${backendMs}` : ""}${missConcurrency > 1 ? ` --miss-concurrency ${missConcurrency}` : ""}\``,
  );
  console.log(`- date: ${new Date().toISOString()}; machine: ${describeMachine()}`);
  for (const phase of phases) {
    const per = (ms: number) => ((ms / phase.requests) * 1000).toFixed(0);
    const idle = phase.totals.get("(idle)") ?? 0;
    let inIsolate = 0;
    for (const [step, ms] of phase.totals) if (step !== "(idle)") inIsolate += ms;
    console.log(`\n#### ${phase.name}: ${phase.requests} requests, ${phase.perSecond.toFixed(0)}/s\n`);
    console.log("| step | µs per request | share of the isolate's busy time |");
    console.log("| --- | ---: | ---: |");
    const rows = [...phase.totals].filter(([step]) => step !== "(idle)").sort((a, b) => b[1] - a[1]);
    for (const [step, ms] of rows) {
      console.log(`| ${step} | ${per(ms)} | ${((ms / inIsolate) * 100).toFixed(1)} % |`);
    }
    if (intervalUs > 0) console.log(`| **the isolate, busy** | **${per(inIsolate)}** | |`);
    for (const [id, ms] of [...phase.otherIsolates].sort((a, b) => b[1] - a[1])) {
      console.log(`| Miniflare's \`${id}\` isolate, busy | ${per(ms)} | |`);
    }
    console.log(`| workerd process CPU (/proc: all isolates, all threads) | ${per(phase.cpuMs)} | |`);
    console.log(`| isolate idle (samples) | ${per(idle)} | |`);
    if (args.top) {
      console.log("\n| step ← function (self time) | µs per request |\n| --- | ---: |");
      const top = [...phase.selfByFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(args.top));
      for (const [where, ms] of top) console.log(`| ${where} | ${per(ms)} |`);
    }
  }
} finally {
  for (const { session } of isolates) session.close();
  await harness.stop();
}
