import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../backend/src/main.ts", import.meta.url));

export interface BenchBackend {
  url: string;
  process: ChildProcess;
  /** SIGTERM, and wait for the drain to finish. */
  stop(): Promise<number | null>;
}

/** Starts the real backend (`backend/src/main.ts`) on the tiny model, CPU, an ephemeral port; resolves once ready. */
export async function startBackend(env: Record<string, string>): Promise<BenchBackend> {
  const proc = spawn(process.execPath, [MAIN], {
    env: { ...process.env, SDGATE_BACKEND_PORT: "0", SDGATE_EXECUTION_PROVIDERS: "cpu", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  let log = "";
  const url = await new Promise<string>((resolve, reject) => {
    proc.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(log);
      if (match) resolve(match[1] as string);
    });
    proc.on("exit", () => reject(new Error(`backend exited:\n${log}`)));
  });
  for (let i = 0; ; i++) {
    const ready = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (i > 600) throw new Error(`backend not ready after 60 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    process: proc,
    stop: () => {
      proc.kill("SIGTERM");
      return exited;
    },
  };
}
