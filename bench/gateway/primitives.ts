/**
 * `node bench/gateway/primitives.ts`: what each local binding costs on its own in workerd (Miniflare),
 * so the gateway's numbers can be read against the floor they stand on. One tiny Worker answers
 * `/<op>` after doing exactly one operation: nothing, one Durable Object RPC (read-only or with a
 * SQLite write), one KV read, one Cache API lookup, one R2 read or write, one D1 insert. Each is timed
 * at concurrency 1 (p50/p99 ms, from the load generator) and for throughput at concurrency 32. State
 * lives where the gateway bench keeps it (a tmpfs where there is one; see edge-process.ts).
 *
 *   node bench/gateway/primitives.ts [--requests 400] [--seconds 2]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, type V4MiniflareOptions } from "miniflare";
import { describeMachine } from "../lib/machine.ts";
import { median, quantile } from "../lib/stats.ts";
import { defaultStateRoot } from "./edge-process.ts";
import { freePort } from "./harness.ts";

const { values: args } = parseArgs({
  options: { requests: { type: "string", default: "400" }, seconds: { type: "string", default: "2" } },
});
const requests = Number(args.requests);
const seconds = Number(args.seconds);

const SCRIPT = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (one INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    this.n = 0;
  }
  ping() { return this.n; }
  bump() {
    this.n++;
    this.ctx.storage.sql.exec("INSERT INTO t (one, n) VALUES (1, ?) ON CONFLICT (one) DO UPDATE SET n = excluded.n", this.n);
    return this.n;
  }
}
const body = "x".repeat(4096);
let i = 0;
export default {
  async fetch(request, env) {
    const op = new URL(request.url).pathname.slice(1);
    switch (op) {
      case "noop": break;
      case "do-read": await env.COUNTER.getByName("k").ping(); break;
      case "do-write": await env.COUNTER.getByName("k").bump(); break;
      case "kv-get": await env.KV.get("key:abc", "json"); break;
      case "cache-match": { const r = await caches.default.match("https://x.invalid/hot"); if (r) await r.text(); break; }
      case "r2-get-miss": await env.R2.get("missing"); break;
      case "r2-get-hit": { const o = await env.R2.get("present"); await o.text(); break; }
      case "r2-put": await env.R2.put("obj/" + (i++ % 64), body); break;
      case "d1-insert": await env.DB.prepare("INSERT INTO t (v) VALUES (?)").bind(i++).run(); break;
      default: return new Response("unknown op", { status: 404 });
    }
    return new Response("ok");
  },
};`;

const port = await freePort();
const stateDir = mkdtempSync(join(defaultStateRoot(), "sdgate-primitives-"));
const mf = new Miniflare(
  convertV4MiniflareOptions({
    resourcePersistencePath: stateDir,
    host: "127.0.0.1",
    port: 0,
    cf: false,
    log: new Log(LogLevel.WARN),
    workers: [
      {
        name: "primitives",
        rootPath: "/",
        compatibilityDate: "2026-11-01",
        modules: [{ type: "ESModule", path: "/primitives.mjs", contents: SCRIPT }],
        durableObjects: { COUNTER: { className: "Counter", useSQLite: true } },
        kvNamespaces: ["KV"],
        r2Buckets: ["R2"],
        d1Databases: ["DB"],
        unsafeDirectSockets: [{ host: "127.0.0.1", port }],
      },
    ],
  } as V4MiniflareOptions),
);
await mf.ready;
await (await mf.getKVNamespace("KV")).put("key:abc", JSON.stringify({ id: "key_1", scopes: ["generate"] }));
await (await mf.getR2Bucket("R2")).put("present", "x".repeat(4096));
await (await mf.getD1Database("DB")).exec("CREATE TABLE t (v INTEGER)");
const url = `http://127.0.0.1:${port}`;

async function call(op: string): Promise<void> {
  const res = await fetch(`${url}/${op}`);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`/${op} answered ${res.status}`);
}

const ops = [
  "noop",
  "do-read",
  "do-write",
  "kv-get",
  "cache-match",
  "r2-get-miss",
  "r2-get-hit",
  "r2-put",
  "d1-insert",
];
const rows: string[] = [];
try {
  for (const op of ops) {
    for (let i = 0; i < 50; i++) await call(op);
    const latencies: number[] = [];
    for (let i = 0; i < requests; i++) {
      const started = performance.now();
      await call(op);
      latencies.push(performance.now() - started);
    }
    let done = 0;
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (performance.now() < deadline) {
          await call(op);
          done++;
        }
      }),
    );
    const rps = done / ((performance.now() - started) / 1000);
    rows.push(
      `| ${op} | ${median(latencies).toFixed(2)} | ${quantile(latencies, 0.99).toFixed(2)} | ${rps.toFixed(0)} |`,
    );
  }
  console.log("### One local binding operation per request (Miniflare, direct socket)\n");
  console.log(`- command: \`node bench/gateway/primitives.ts --requests ${requests} --seconds ${seconds}\``);
  console.log(`- date: ${new Date().toISOString()}`);
  console.log(`- machine: ${describeMachine()}; workerd and the load generator share it\n`);
  console.log("| operation | c=1 p50 ms | c=1 p99 ms | requests/s at c=32 |");
  console.log("| --- | ---: | ---: | ---: |");
  for (const row of rows) console.log(row);
} finally {
  await mf.dispose();
  rmSync(stateDir, { recursive: true, force: true });
}
