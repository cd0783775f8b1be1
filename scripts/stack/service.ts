import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SUPERVISOR = fileURLToPath(new URL("supervise.ts", import.meta.url));

/** A process the stack started, with its output going to a log file. */
export interface Service {
  name: string;
  /** The service's supervisor, which leads the process group of the command and all it starts. */
  child: ChildProcess;
  logPath: string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

export interface ServiceSpec {
  name: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  logPath: string;
  cwd: string;
  /**
   * When this process dies without stopping the service (SIGKILL, a crash), how long the service's
   * process group has between SIGTERM and SIGKILL. 5 s by default.
   */
  orphanGraceMs?: number;
}

/**
 * Starts a process in its own process group, so that stopping it also stops what it started
 * (wrangler runs workerd as a child), under a supervisor (supervise.ts) that stops that group when
 * this process dies, however it dies.
 */
export function startService(spec: ServiceSpec): Service {
  const log = createWriteStream(spec.logPath, { flags: "w" });
  const child = spawn(
    process.execPath,
    [SUPERVISOR, String(spec.orphanGraceMs ?? 5_000), spec.command, ...spec.args],
    {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      detached: true,
    },
  );
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(null));
  });
  return { name: spec.name, child, logPath: spec.logPath, exited };
}

/** Sends SIGTERM to the service's process group, then SIGKILL if it has not exited in time. */
export async function stopService(service: Service, graceMs = 10_000): Promise<void> {
  const pid = service.child.pid;
  if (pid === undefined || service.child.exitCode !== null || service.child.signalCode !== null) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pid, signal);
    } catch {
      // Already gone.
    }
  };
  signalGroup("SIGTERM");
  const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
  await service.exited;
  clearTimeout(timer);
  // workerd may outlive wrangler briefly; make sure nothing of the group is left.
  signalGroup("SIGKILL");
}

/** The last lines of a service's log, for error messages when it fails to start. */
export function logTail(service: Service, lines = 20): string {
  try {
    return readFileSync(service.logPath, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/**
 * Polls `url` until it answers 200, the service exits, or the deadline passes. Each poll has its own
 * short timeout, so a hung server cannot stall the wait.
 */
export async function waitUntilReady(service: Service, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void service.exited.then(() => {
    exited = true;
  });
  while (Date.now() < deadline) {
    if (exited)
      throw new Error(
        `${service.name} exited while starting. Its log (${service.logPath}):\n${logTail(service)}`,
      );
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(
    `${service.name} was not ready at ${url} after ${timeoutMs} ms. Its log (${service.logPath}):\n${logTail(service)}`,
  );
}
