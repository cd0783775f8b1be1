/**
 * `node bench/gateway/idle-penalty.ts`: how much slower this machine runs the same CPU work when the
 * process has just been idle, as a gateway is between requests that wait on a GPU. Times a fixed
 * piece of work (SHA-256 and JSON, like a request's hashing) back to back and after idle gaps of 1
 * to 100 ms; medians of 60 each. A ratio well above 1 means that milliseconds measured with idle
 * gaps (`run.ts --backend-ms`) are partly the machine waking up (CPU frequency, caches, the
 * hypervisor), not the code.
 *
 *   node bench/gateway/idle-penalty.ts [--samples 60]
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { describeMachine } from "../lib/machine.ts";
import { median } from "../lib/stats.ts";

const { values: args } = parseArgs({ options: { samples: { type: "string", default: "60" } } });
const samples = Number(args.samples);
if (!Number.isInteger(samples) || samples < 1) {
  console.error("--samples is a positive integer.");
  process.exit(2);
}

/** About half a millisecond of the kind of work an edge request does: hashing and JSON. */
function work(): Buffer {
  let digest = Buffer.alloc(32);
  for (let i = 0; i < 300; i++) {
    digest = createHash("sha256")
      .update(digest)
      .update(JSON.stringify({ i, prompt: "a lighthouse at dusk, oil painting", steps: 30 }))
      .digest();
  }
  return digest;
}

function timedUs(): number {
  const started = process.hrtime.bigint();
  work();
  return Number(process.hrtime.bigint() - started) / 1000;
}

for (let i = 0; i < 200; i++) work(); // JIT warm-up
const rows: Array<{ gapMs: number; us: number }> = [];
for (const gapMs of [0, 1, 5, 20, 100]) {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    // Gap 0 still yields to the event loop, as back-to-back requests do.
    await (gapMs === 0 ? new Promise((resolve) => setImmediate(resolve)) : sleep(gapMs));
    times.push(timedUs());
  }
  rows.push({ gapMs, us: median(times) });
}
const base = rows[0]?.us ?? 1;
console.log(`- command: \`node bench/gateway/idle-penalty.ts --samples ${samples}\``);
console.log(`- date: ${new Date().toISOString()}; machine: ${describeMachine()}\n`);
console.log("| idle before the work | work µs (median) | vs back to back |");
console.log("| ---: | ---: | ---: |");
for (const { gapMs, us } of rows) {
  console.log(`| ${gapMs === 0 ? "none" : `${gapMs} ms`} | ${us.toFixed(0)} | ${(us / base).toFixed(2)}× |`);
}
