/**
 * `node bench/gateway/tail.ts`: when a miss's latency tail happens, not only how long it is. Runs
 * misses as run.ts's `--backend-ms` mode does (callers staggered over the backend's time), keeps each
 * request's start and end, and meanwhile samples workerd's CPU from `/proc` and the load generator's
 * event-loop delay every 5 ms. Prints the slow requests (net of their generation time) by the 100 ms
 * window they ended in, the windows where workerd used most of a core, and any pause of this process:
 * stalls of the edge line up with the first two, a busy load generator with the third.
 *
 *   node bench/gateway/tail.ts [--concurrency 64] [--requests 1280] [--backend-ms 450] [--slow-ms 30]
 */
import { parseArgs } from "node:util";
import { randomHex } from "@sdgate/shared";
import { describeMachine } from "../lib/machine.ts";
import { generationMs } from "./fake-backend.ts";
import { load, requestBody, startGatewayHarness } from "./harness.ts";
import { workerdCpuMs } from "./process-cpu.ts";

const { values: args } = parseArgs({
  options: {
    concurrency: { type: "string", default: "64" },
    requests: { type: "string", default: "1280" },
    "backend-ms": { type: "string", default: "450" },
    "slow-ms": { type: "string", default: "30" },
  },
});
const [concurrency, requests, backendMs, slowMs] = [
  args.concurrency,
  args.requests,
  args["backend-ms"],
  args["slow-ms"],
].map(Number) as [number, number, number, number];
if (![concurrency, requests, backendMs, slowMs].every((n) => Number.isFinite(n) && n > 0)) {
  console.error("--concurrency, --requests, --backend-ms and --slow-ms are positive numbers.");
  process.exit(2);
}

const WINDOW_MS = 100;
const SAMPLE_MS = 5;
const windowOf = (ms: number) => Math.floor(ms / WINDOW_MS);
const seconds = (window: number) => ((window * WINDOW_MS) / 1000).toFixed(1);

const harness = await startGatewayHarness({ holdMs: 500, generateMs: backendMs });
try {
  const key = await harness.createKey({ requests_per_minute: 1_000_000, concurrency: 10_000, credits: null });
  const run = randomHex(4);
  await load(concurrency, 1000, (i) =>
    harness.viaEdge(key, requestBody(`warm ${run} ${i}`, i), "MISS").then(() => {}),
  );

  const t0 = performance.now();
  const cpuByWindow = new Map<number, number>();
  const pauses: Array<{ atMs: number; ms: number }> = [];
  let lastTick = t0;
  let lastCpu = workerdCpuMs() ?? 0;
  const sampler = setInterval(() => {
    const now = performance.now();
    if (now - lastTick > 5 * SAMPLE_MS) pauses.push({ atMs: lastTick - t0, ms: now - lastTick });
    lastTick = now;
    const cpu = workerdCpuMs() ?? lastCpu;
    const window = windowOf(now - t0);
    cpuByWindow.set(window, (cpuByWindow.get(window) ?? 0) + (cpu - lastCpu));
    lastCpu = cpu;
  }, SAMPLE_MS);
  const starts: number[] = [];
  const latencies = await load(
    concurrency,
    requests,
    async (i) => {
      starts[i] = performance.now() - t0;
      await harness.viaEdge(key, requestBody(`tail ${run} ${i}`, i), "MISS");
    },
    { label: `edge c=${concurrency}`, staggerMs: backendMs },
  );
  clearInterval(sampler);

  const slowByWindow = new Map<number, number>();
  let slow = 0;
  latencies.forEach((ms, i) => {
    if (ms - generationMs(backendMs, i) <= slowMs) return;
    slow++;
    const window = windowOf((starts[i] ?? 0) + ms);
    slowByWindow.set(window, (slowByWindow.get(window) ?? 0) + 1);
  });
  const busy = [...cpuByWindow].filter(([, ms]) => ms >= 0.8 * WINDOW_MS).sort((a, b) => a[0] - b[0]);

  console.log(
    `- command: \`node bench/gateway/tail.ts --concurrency ${concurrency} --requests ${requests} --backend-ms ${backendMs} --slow-ms ${slowMs}\``,
  );
  console.log(`- date: ${new Date().toISOString()}; machine: ${describeMachine()}`);
  console.log(`- slow (over ${slowMs} ms net of the generation): ${slow} of ${requests}`);
  console.log(
    `- slow requests by the ${WINDOW_MS} ms window they ended in (s: count): ${[...slowByWindow]
      .sort((a, b) => a[0] - b[0])
      .map(([window, count]) => `${seconds(window)}: ${count}`)
      .join(", ")}`,
  );
  console.log(
    `- windows where workerd used ≥ 80 % of a core (s: CPU ms): ${busy.map(([window, ms]) => `${seconds(window)}: ${ms.toFixed(0)}`).join(", ") || "none"}`,
  );
  console.log(
    `- load generator pauses over ${5 * SAMPLE_MS} ms: ${pauses.map((p) => `${(p.atMs / 1000).toFixed(2)} s: ${p.ms.toFixed(0)} ms`).join(", ") || "none"}`,
  );
} finally {
  await harness.stop();
}
