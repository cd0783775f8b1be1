import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

export interface EdgeProcess {
  url: string;
  stop(): Promise<void>;
}

/**
 * The edge in workerd through `wrangler dev --local` (what `npm start` runs), with its vars from an
 * env file and its local state (KV, D1, R2, Durable Objects) in `stateDir`.
 */
export async function startEdge(options: {
  repoRoot: string;
  port: number;
  inspectorPort: number;
  envFile: string;
  stateDir: string;
  logPath: string;
  readyTimeoutMs?: number;
}): Promise<EdgeProcess> {
  const wrangler = join(options.repoRoot, "node_modules/wrangler/bin/wrangler.js");
  const quietEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" };
  // A fresh local D1 has no tables yet: the keys and audit schema comes from edge/migrations.
  await promisify(execFile)(
    process.execPath,
    [wrangler, "d1", "migrations", "apply", "DB", "--local", "--persist-to", options.stateDir],
    { cwd: options.repoRoot, env: quietEnv },
  );
  const log = createWriteStream(options.logPath);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      wrangler,
      "dev",
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(options.port),
      "--inspector-port",
      String(options.inspectorPort),
      "--persist-to",
      options.stateDir,
      "--env-file",
      options.envFile,
      "--show-interactive-dev-session=false",
      "--log-level",
      "error",
      "--test-scheduled",
    ],
    {
      cwd: options.repoRoot,
      env: quietEnv,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    },
  );
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const stop = async () => {
    const pid = child.pid;
    if (pid === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    try {
      process.kill(-pid, "SIGTERM");
    } catch {}
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    try {
      process.kill(-pid, "SIGKILL");
    } catch {}
  };
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`wrangler dev exited (${child.exitCode}); see ${options.logPath}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return { url, stop };
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`the edge did not become ready; see ${options.logPath}`);
}
