import { spawn } from "node:child_process";
import { constants } from "node:os";

/**
 * `node supervise.ts <orphanGraceMs> <command> [args…]`: runs one service of the local stack for
 * `startService`, which spawns it detached (so this process leads a process group that the command and
 * everything it starts, such as wrangler's workerd, join) and with an IPC channel.
 *
 * The channel closes whenever the parent dies, SIGKILL included, which no signal handler of the parent
 * could report. Then the whole group gets SIGTERM and, after `orphanGraceMs`, SIGKILL, so nothing of the
 * stack outlives `npm start`. Signals sent to the group (stopService, a test killing a backend) reach
 * the command directly; this process only waits for it and exits with its status.
 */
const [graceArg, command, ...args] = process.argv.slice(2);
const orphanGraceMs = Number(graceArg);
if (command === undefined || !Number.isInteger(orphanGraceMs) || orphanGraceMs < 0) {
  console.error("usage: node supervise.ts <orphanGraceMs> <command> [args…]");
  process.exit(2);
}
if (process.channel === undefined) {
  console.error("supervise.ts needs an IPC channel to its parent (spawn it with stdio [..., 'ipc']).");
  process.exit(2);
}

function signalGroup(signal: NodeJS.Signals): void {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // The group is gone already.
  }
}

// The group's SIGTERM and SIGINT are meant for the command; this process leaves when it has.
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => {});

const env = { ...process.env };
// Not for the command: a Node command would take the channel's descriptor number for its own.
delete env.NODE_CHANNEL_FD;
delete env.NODE_CHANNEL_SERIALIZATION_MODE;
const child = spawn(command, args, { env, stdio: ["ignore", "inherit", "inherit"] });

let orphaned = false;
const orphan = () => {
  if (orphaned) return;
  orphaned = true;
  signalGroup("SIGTERM");
  setTimeout(() => signalGroup("SIGKILL"), orphanGraceMs).unref();
};
process.on("disconnect", orphan);
// The parent may have died before the listener was in place.
if (!process.connected) orphan();

child.once("error", (error) => {
  console.error(`supervise.ts: cannot start ${command}: ${error.message}`);
  process.exit(127);
});
child.once("exit", (code, signal) => {
  // What the command started may outlive it (workerd after a crashed wrangler); nobody else will stop
  // it once the parent is gone, and the parent only signals a group whose leader is still alive.
  signalGroup(orphaned ? "SIGKILL" : "SIGTERM");
  process.exit(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
});
