import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { convertV4MiniflareOptions, Log, LogLevel, Miniflare, type V4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";

export interface EdgeProcess {
  /** The Worker's own socket in workerd: no dev proxy, no Miniflare entry worker in between. */
  url: string;
  /** The same Worker through Miniflare's entry worker (what `wrangler dev` puts its proxy in front of). */
  entryUrl: string;
  /** Where the bundle (`index.js`, `index.js.map`) lives until {@link EdgeProcess.stop}. */
  bundleDir: string;
  stop(): Promise<void>;
}

/**
 * The edge in workerd, as `wrangler deploy` would ship it: the bundle from
 * `wrangler deploy --dry-run --outdir`, run by Miniflare with wrangler.toml's bindings (KV, D1, R2,
 * Durable Objects) in memory and `vars` on top of its `[vars]`. The Worker gets a direct socket
 * (`unsafeDirectSockets`), so a request goes from the load generator straight to the edge's `fetch`,
 * without `wrangler dev`'s proxy (~4.5 ms a request) or Miniflare's entry worker.
 */
/** A tmpfs when the machine has one (Linux's `/dev/shm`), else the system's temp directory. */
export function defaultStateRoot(): string {
  return existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
}

export async function startEdge(options: {
  repoRoot: string;
  port: number;
  vars: Record<string, string>;
  /**
   * Where KV, D1, R2, the Cache API and Durable Object storage keep their files. Every storage write
   * in Miniflare ends in SQLite commits with `fsync`, which on a disk blocks workerd's one thread for
   * a disk flush; production storage is replicated, not fsynced on the edge's machine. Default: a
   * tmpfs (`/dev/shm`) where there is one.
   */
  stateRoot?: string;
  /** Opens workerd's V8 inspector on this port (Chrome DevTools Protocol), for `profile.ts`. */
  inspectorPort?: number;
}): Promise<EdgeProcess> {
  const outDir = mkdtempSync(join(tmpdir(), "sdgate-edge-bundle-"));
  const wrangler = join(options.repoRoot, "node_modules/wrangler/bin/wrangler.js");
  await promisify(execFile)(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outDir], {
    cwd: options.repoRoot,
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" },
  });
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(options.repoRoot, "wrangler.toml"));
  // wrangler describes the Worker in Miniflare 4's option shape; Miniflare 5 converts it.
  const stateDir = mkdtempSync(join(options.stateRoot ?? defaultStateRoot(), "sdgate-edge-state-"));
  const v4Options = {
    resourcePersistencePath: stateDir,
    host: "127.0.0.1",
    port: 0,
    // No request.cf fetched from Cloudflare: the bench machine may have no network.
    cf: false,
    log: new Log(LogLevel.WARN),
    ...(options.inspectorPort === undefined ? {} : { inspectorPort: options.inspectorPort }),
    workers: [
      {
        name: "sdgate-edge",
        // Module names are paths relative to rootPath; the bundle lives outside the repo.
        rootPath: outDir,
        compatibilityDate: workerOptions.compatibilityDate,
        compatibilityFlags: workerOptions.compatibilityFlags,
        kvNamespaces: workerOptions.kvNamespaces,
        d1Databases: workerOptions.d1Databases,
        r2Buckets: workerOptions.r2Buckets,
        durableObjects: workerOptions.durableObjects,
        modules: true,
        scriptPath: join(outDir, "index.js"),
        bindings: { ...(workerOptions.bindings as Record<string, unknown>), ...options.vars },
        unsafeDirectSockets: [{ host: "127.0.0.1", port: options.port }],
      },
    ],
  } as V4MiniflareOptions;
  const mf = new Miniflare(convertV4MiniflareOptions(v4Options));
  const entry = await mf.ready;
  // A fresh D1 has no tables: apply edge/migrations in order, as `wrangler d1 migrations apply` does.
  const db = await mf.getD1Database("DB");
  const migrationsDir = join(options.repoRoot, "edge/migrations");
  for (const file of readdirSync(migrationsDir)
    .filter((name) => name.endsWith(".sql"))
    .sort()) {
    const statements = unstable_splitSqlQuery(readFileSync(join(migrationsDir, file), "utf8"));
    await db.batch(statements.map((sql) => db.prepare(sql)));
  }
  return {
    bundleDir: outDir,
    url: `http://127.0.0.1:${options.port}`,
    entryUrl: entry.origin,
    async stop() {
      await mf.dispose();
      rmSync(outDir, { recursive: true, force: true });
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}
