/**
 * `npm run bench:gateway`: what the edge costs on top of calling a backend directly, in workerd (the
 * `wrangler deploy` bundle run by Miniflare on a direct socket, no dev proxy; see edge-process.ts)
 * against a loopback stand-in backend. Targets (DESIGN.md):
 * overhead p50 ≤ 2 ms and p99 ≤ 10 ms; ≥ 2,000 cache hits/s on 2 cores; the limiter admits exactly
 * its limit. Prints a Markdown table for docs/benchmarks.md.
 *
 * By default the stand-in backend answers at once, so the edge's work after each response (settling
 * the reservation, the audit append, the R2 write) lands on the next request of a closed loop.
 * `--backend-ms 450` makes every generation take about what one SD 1.5 image takes on an H100 (see
 * docs/benchmarks.md, "GPU"), callers spread over that time: the overhead a client of a GPU fleet sees.
 * `--think-ms 20` has every caller pause before each request (both paths), so the servers sit idle
 * between requests with an instant backend: what idling alone costs on the machine.
 * `--arrivals poisson` (with `--backend-ms`) replaces the closed loop of callers by independent
 * arrivals at the rate that keeps that many generations in flight: closed-loop callers with nearly
 * equal times fall into step and arrive in bursts, which independent clients do not.
 *
 *   npm run bench:gateway -- [--concurrency 1,16,64] [--requests 400] [--hit-seconds 5] [--backend-ms 0] [--think-ms 0] [--arrivals closed|poisson] [--port 8799]
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { randomHex } from "@sdgate/shared";
import { describeMachine } from "../lib/machine.ts";
import { median, quantile } from "../lib/stats.ts";
import { generationMs } from "./fake-backend.ts";
import { load, openLoad, requestBody, startGatewayHarness } from "./harness.ts";
import { workerdCpuMs } from "./process-cpu.ts";

const HOLD_MS = 500;

const { values: args } = parseArgs({
  options: {
    concurrency: { type: "string", default: "1,16,64" },
    requests: { type: "string", default: "400" },
    "hit-seconds": { type: "string", default: "5" },
    "backend-ms": { type: "string", default: "0" },
    "think-ms": { type: "string", default: "0" },
    arrivals: { type: "string", default: "closed" },
    port: { type: "string" },
  },
});
const levels = (args.concurrency ?? "").split(",").map((text) => Number(text.trim()));
const requestsPerLevel = Number(args.requests);
const hitSeconds = Number(args["hit-seconds"]);
const backendMs = Number(args["backend-ms"]);
const thinkMs = Number(args["think-ms"]);
const poisson = args.arrivals === "poisson";
if (!poisson && args.arrivals !== "closed") {
  console.error("--arrivals is closed or poisson.");
  process.exit(2);
}
if (poisson && !(backendMs > 0)) {
  console.error(
    "--arrivals poisson needs --backend-ms: the arrival rate is concurrency ÷ the backend's time.",
  );
  process.exit(2);
}
if (
  levels.some((c) => !Number.isInteger(c) || c < 1) ||
  !(requestsPerLevel > 0) ||
  !(hitSeconds > 0) ||
  !(backendMs >= 0) ||
  !(thinkMs >= 0)
) {
  console.error(
    "--concurrency is a list of positive integers; --requests and --hit-seconds are positive numbers; --backend-ms and --think-ms are ≥ 0.",
  );
  process.exit(2);
}

const harness = await startGatewayHarness({
  holdMs: HOLD_MS,
  generateMs: backendMs,
  ...(args.port ? { port: Number(args.port) } : {}),
});
const { edge, backend, createKey, viaEdge, direct } = harness;

const fmt = (ms: number) => ms.toFixed(2);
// Other work on the machine skews every number here; the 1-minute load average says whether there was any.
const loadAtStart = loadavg()[0] ?? 0;
const rows: string[] = [];
try {
  const key = await createKey({ requests_per_minute: 1_000_000, concurrency: 10_000, credits: null });
  const run = randomHex(4);
  // Warm both paths: the isolate, its Durable Objects (all 256 coalescer shards), R2, connection pools.
  await load(8, 200, (i) => direct(`warm ${run} ${i}`, i));
  // 1,000 misses reach every shard; with a slow backend, more at once so that warming stays short.
  const warmConcurrency = backendMs > 0 ? 64 : 8;
  await load(warmConcurrency, 1000, (i) =>
    viaEdge(key, requestBody(`warm ${run} ${i}`, i), "MISS").then(() => {}),
  );

  // The floor under every edge number here: a route that does nothing, on the Worker's own socket and
  // through Miniflare's entry worker (the hop `wrangler dev` adds its proxy to).
  const floorMs = await load(1, 400, async () => {
    await (await fetch(`${edge.url}/healthz`)).arrayBuffer();
  });
  const entryFloorMs = await load(1, 400, async () => {
    await (await fetch(`${edge.entryUrl}/healthz`)).arrayBuffer();
  });
  const cpuPerRequest = async (total: number, work: () => Promise<number[]>) => {
    const before = workerdCpuMs();
    const latencies = await work();
    const after = workerdCpuMs();
    return { latencies, cpuMs: before === null || after === null ? null : (after - before) / total };
  };
  const fmtCpu = (ms: number | null) => (ms === null ? "n/a" : ms.toFixed(2));

  for (const concurrency of levels) {
    const total = Math.max(requestsPerLevel, concurrency * 10);
    // Closed loop: `concurrency` callers, each waiting for its answer. Poisson: arrivals at the rate
    // that keeps `concurrency` generations in flight on average (Little's law), same seed both paths.
    const drive = (label: string, one: (i: number) => Promise<void>) =>
      poisson
        ? openLoad(concurrency / (backendMs / 1000), total, one, { label, seed: concurrency })
        : load(concurrency, total, one, { label, staggerMs: backendMs, thinkMs });
    const directMs = await drive(`direct c=${concurrency}`, (i) => direct(`d ${run} ${concurrency} ${i}`, i));
    const { latencies: edgeMs, cpuMs } = await cpuPerRequest(total, () =>
      drive(`edge   c=${concurrency}`, (i) =>
        viaEdge(key, requestBody(`e ${run} ${concurrency} ${i}`, i), "MISS").then(() => {}),
      ),
    );
    // With a slow backend, each latency less its generation's known time: the jitter that keeps
    // callers apart would otherwise blur both medians by milliseconds.
    const [directNet, edgeNet] = [directMs, edgeMs].map((latencies) =>
      latencies.map((ms, i) => ms - generationMs(backendMs, i)),
    ) as [number[], number[]];
    const [d50, e50, d99, e99] = [
      median(directNet),
      median(edgeNet),
      quantile(directNet, 0.99),
      quantile(edgeNet, 0.99),
    ];
    rows.push(
      `| miss (full path) | ${concurrency} | ${total} | ${fmt(d50)} | ${fmt(e50)} | **${fmt(e50 - d50)}** | ${fmt(d99)} | ${fmt(e99)} | **${fmt(e99 - d99)}** | ${fmtCpu(cpuMs)} |`,
    );
    // Most clients send no seed: the edge draws one, so the key is new and nothing is looked up.
    // (Only with an instant backend: the drawn seed decides the stand-in's time, unknown here.)
    if (backendMs === 0) {
      const { latencies: unseededMs, cpuMs: unseededCpuMs } = await cpuPerRequest(total, () =>
        load(
          concurrency,
          total,
          (i) => {
            const { seed: _drawnByTheEdge, ...body } = requestBody(`u ${run} ${concurrency} ${i}`, i);
            return viaEdge(key, body, "MISS").then(() => {});
          },
          { label: `edge   c=${concurrency}, no seed`, thinkMs },
        ),
      );
      const [u50, u99] = [median(unseededMs), quantile(unseededMs, 0.99)];
      rows.push(
        `| miss, seed drawn by the edge | ${concurrency} | ${total} | ${fmt(d50)} | ${fmt(u50)} | **${fmt(u50 - d50)}** | ${fmt(d99)} | ${fmt(u99)} | **${fmt(u99 - d99)}** | ${fmtCpu(unseededCpuMs)} |`,
      );
    }
  }

  // Cache hits: the same request over and over; the backend must not see one of them.
  const hitBody = requestBody(`hit ${run}`, 7);
  await viaEdge(key, hitBody, "MISS");
  await new Promise((resolve) => setTimeout(resolve, 200));
  const callsBefore = backend.calls();
  let hits = 0;
  const hitConcurrency = 32;
  const hitCpuBefore = workerdCpuMs();
  // The load generator shares the 2 cores: its own CPU per hit says how much of them it leaves.
  const clientCpuBefore = process.cpuUsage();
  const hitDeadline = performance.now() + hitSeconds * 1000;
  const hitStarted = performance.now();
  const hitLatencies: number[] = [];
  await Promise.all(
    Array.from({ length: hitConcurrency }, async () => {
      while (performance.now() < hitDeadline) {
        const startedMs = performance.now();
        await viaEdge(key, hitBody, "HIT");
        hitLatencies.push(performance.now() - startedMs);
        hits++;
      }
    }),
  );
  const hitRps = hits / ((performance.now() - hitStarted) / 1000);
  const hitCpuAfter = workerdCpuMs();
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const clientCpuMs = (clientCpu.user + clientCpu.system) / 1000 / hits;
  const hitCpuMs = hitCpuBefore === null || hitCpuAfter === null ? null : (hitCpuAfter - hitCpuBefore) / hits;
  const backendCallsDuringHits = backend.calls() - callsBefore;

  // Limiter exactness: 100 at once against a concurrency limit of 10, and against 50 requests/minute.
  const concurrencyKey = await createKey({ requests_per_minute: 1_000_000, concurrency: 10, credits: null });
  const held = await Promise.all(
    Array.from({ length: 100 }, (_, i) => viaEdge(concurrencyKey, requestBody(`[hold] ${run} ${i}`, i))),
  );
  const heldAdmitted = held.filter((res) => res.status === 200).length;
  const heldRefused = held.filter((res) => res.status === 429).length;
  const rpmKey = await createKey({ requests_per_minute: 50, concurrency: 10_000, credits: null });
  const burstStarted = performance.now();
  const burst = await Promise.all(
    Array.from({ length: 100 }, (_, i) => viaEdge(rpmKey, requestBody(`rpm ${run} ${i}`, i))),
  );
  const burstS = (performance.now() - burstStarted) / 1000;
  const burstAdmitted = burst.filter((res) => res.status === 200).length;
  const refillAllowance = Math.floor((burstS * 50) / 60);

  const command = `npm run bench:gateway -- --concurrency ${levels.join(",")} --requests ${requestsPerLevel} --hit-seconds ${hitSeconds}${backendMs > 0 ? ` --backend-ms ${backendMs}` : ""}${thinkMs > 0 ? ` --think-ms ${thinkMs}` : ""}${poisson ? " --arrivals poisson" : ""}`;
  console.log(`### Gateway overhead (edge in workerd vs calling the backend directly)\n`);
  console.log(`- command: \`${command}\``);
  console.log(`- date: ${new Date().toISOString()}`);
  console.log(`- machine: ${describeMachine()}; edge, stand-in backend and load generator share it`);
  console.log(
    `- 1-minute load average at start / end: ${loadAtStart.toFixed(2)} / ${(loadavg()[0] ?? 0).toFixed(2)}`,
  );
  console.log(
    "- edge: the `wrangler deploy --dry-run` bundle in workerd via Miniflare, requests on the Worker's own socket (no `wrangler dev` proxy, no Miniflare entry worker); KV, D1, R2, Cache API and Durable Object storage are Miniflare's local simulators, on a tmpfs, all on workerd's one thread",
  );
  console.log(
    "- path: key record (isolate copy, else KV) → replay cache lookup (isolate memory, else the coalescer shard's index; Cache API and R2 only for a stored entry) → one KeyState Durable Object call (authenticate + admit) → coalescer Durable Object → backend (HMAC-signed) → response; settle, audit append and one R2 write (by the shard) after the response (`waitUntil`); the Cache API is filled by the first hit read from R2",
  );
  console.log(
    backendMs > 0
      ? `- backend: each generation takes ${backendMs} ms ± 10 % (spread by seed), as a GPU would; at each concurrency the callers start spread over ${backendMs} ms; every latency here is less its generation's time`
      : "- backend: answers at once (the edge's background work after each response lands on the next request)",
  );
  if (thinkMs > 0) console.log(`- every caller pauses ${thinkMs} ms before each request (off the clock)`);
  if (poisson) {
    console.log(
      `- arrivals: open loop, Poisson at concurrency ÷ ${backendMs} ms per second (the concurrency is the mean number in flight), latency from each scheduled arrival`,
    );
  }
  console.log(
    "- workerd CPU ms/req: CPU time of the workerd process (edge, Durable Objects, storage simulators, background work) per request, from /proc\n",
  );
  console.log(
    "| measure | concurrency | requests | direct p50 ms | edge p50 ms | overhead p50 ms | direct p99 ms | edge p99 ms | overhead p99 ms | workerd CPU ms/req |",
  );
  console.log("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const row of rows) console.log(row);
  console.log(
    `| floor: \`GET /healthz\` on the Worker's socket (no auth, no backend) | 1 | 400 | | ${fmt(median(floorMs))} | | | ${fmt(quantile(floorMs, 0.99))} | | |`,
  );
  console.log(
    `| floor: \`GET /healthz\` through Miniflare's entry worker | 1 | 400 | | ${fmt(median(entryFloorMs))} | | | ${fmt(quantile(entryFloorMs, 0.99))} | | |`,
  );
  console.log("\nTargets: overhead p50 ≤ 2 ms, p99 ≤ 10 ms.\n");
  console.log("| cache hits | value | target |");
  console.log("| --- | ---: | ---: |");
  console.log(
    `| hits per second (concurrency ${hitConcurrency}, ${hitSeconds} s) | **${hitRps.toFixed(0)}** | ≥ 2,000 on 2 cores |`,
  );
  console.log(
    `| hit latency p50 / p99 ms | ${fmt(median(hitLatencies))} / ${fmt(quantile(hitLatencies, 0.99))} | |`,
  );
  console.log(`| workerd CPU ms per hit | ${fmtCpu(hitCpuMs)} | ≤ 0.5 for 2,000/s on one core |`);
  console.log(`| load generator (Node) CPU ms per hit | ${clientCpuMs.toFixed(2)} | |`);
  console.log(`| backend calls during ${hits} hits | ${backendCallsDuringHits} | 0 |`);
  console.log("\n| limiter exactness | admitted | refused (429) | expected |");
  console.log("| --- | ---: | ---: | ---: |");
  console.log(
    `| 100 at once, concurrency limit 10 (backend holds ${HOLD_MS} ms) | **${heldAdmitted}** | ${heldRefused} | exactly 10 |`,
  );
  console.log(
    `| 100 at once, 50 requests/minute (burst took ${burstS.toFixed(2)} s) | **${burstAdmitted}** | ${100 - burstAdmitted} | 50 + ${refillAllowance} refilled |`,
  );
} finally {
  await harness.stop();
}
