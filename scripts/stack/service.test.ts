import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startService, stopService } from "./service.ts";
import { descendants, stillRunning } from "./test-support/proc.ts";
import { IGNORE_SIGTERM, KEEP_ALIVE, startsGrandchild } from "./test-support/service-code.ts";

const PARENT = fileURLToPath(new URL("test-support/parent-of-services.ts", import.meta.url));

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      text += chunk.toString();
      const end = text.indexOf("\n");
      if (end >= 0) resolve(text.slice(0, end));
    });
    child.once("exit", (code) => reject(new Error(`exited (code ${code}) before printing`)));
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Gone already.
  }
}

describe.skipIf(process.platform !== "linux")("local stack services", () => {
  let dir: string;
  let groups: number[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "sdgate-services-"));
    groups = [];
  });
  afterEach(() => {
    // Whatever a failed test left running.
    for (const pid of groups) killGroup(pid);
    rmSync(dir, { recursive: true, force: true });
  });

  it("all stop, grandchildren included, when the process that started them is killed with SIGKILL", async () => {
    const parent = spawn(process.execPath, [PARENT, dir], { stdio: ["ignore", "pipe", "inherit"] });
    const parentPid = parent.pid ?? 0;
    const services = JSON.parse(await firstLine(parent)) as number[];
    groups = services;
    expect(services).toHaveLength(2);
    await until("both services started their grandchildren", 10_000, () =>
      ["stubborn", "leaves-a-stubborn-grandchild"].every((name) => existsSync(join(dir, `${name}.ready`)))
        ? true
        : undefined,
    );
    const tree = descendants(parentPid);
    // Each service and its grandchild at least, whatever runs between them.
    expect(tree.length).toBeGreaterThanOrEqual(4);

    parent.kill("SIGKILL");
    // The supervisors wait 500 ms between SIGTERM and SIGKILL; the rest is slack for a busy machine.
    await until("every descendant exited", 5_000, () =>
      tree.every((info) => !stillRunning(info)) ? true : undefined,
    ).catch((error: Error) => {
      const left = tree.filter(stillRunning).map((info) => info.pid);
      throw new Error(`${error.message}; still running: ${left.join(", ")}`);
    });
  }, 20_000);

  it("stops the service's whole group, and reports the command's own exit status", async () => {
    const spec = { env: {}, cwd: dir, command: process.execPath };
    const stubborn = startService({
      ...spec,
      name: "stubborn",
      args: ["-e", `${IGNORE_SIGTERM} ${startsGrandchild("stubborn", KEEP_ALIVE)} ${KEEP_ALIVE}`],
      logPath: join(dir, "stubborn.log"),
    });
    const failing = startService({
      ...spec,
      name: "failing",
      args: ["-e", "process.exit(3)"],
      logPath: join(dir, "failing.log"),
    });
    groups = [stubborn.child.pid ?? 0, failing.child.pid ?? 0];
    expect(await failing.exited).toBe(3);

    await until("the service started its child", 10_000, () =>
      existsSync(join(dir, "stubborn.ready")) ? true : undefined,
    );
    const tree = descendants(stubborn.child.pid ?? 0);
    expect(tree.length).toBeGreaterThanOrEqual(1);
    await stopService(stubborn, 300);
    await until("the service's group exited", 5_000, () =>
      tree.every((info) => !stillRunning(info)) ? true : undefined,
    );
  }, 20_000);
});
