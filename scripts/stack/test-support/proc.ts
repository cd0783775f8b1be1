import { readdirSync, readFileSync } from "node:fs";

/** A process as Linux's /proc shows it; `startTime` tells it apart from a later one with its pid. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  state: string;
  startTime: string;
}

// proc(5): the command name in parentheses may hold spaces and ')', so fields are counted from its end.
function readStat(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pid, ppid: Number(fields[1]), state: fields[0] ?? "", startTime: fields[19] ?? "" };
  } catch {
    return null;
  }
}

/** Every living descendant of `rootPid`, children before their own children. */
export function descendants(rootPid: number): ProcessInfo[] {
  const all = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((info): info is ProcessInfo => info !== null && isRunning(info));
  const found: ProcessInfo[] = [];
  const parents = [rootPid];
  for (let parent = parents.shift(); parent !== undefined; parent = parents.shift()) {
    for (const info of all.filter((candidate) => candidate.ppid === parent)) {
      found.push(info);
      parents.push(info.pid);
    }
  }
  return found;
}

function isRunning(info: ProcessInfo): boolean {
  // Z: exited, waiting for its parent to collect its status; X: being removed.
  return info.state !== "Z" && info.state !== "X";
}

/** Whether this very process (not a later one that took its pid) is still running. */
export function stillRunning(info: ProcessInfo): boolean {
  const now = readStat(info.pid);
  return now !== null && now.startTime === info.startTime && isRunning(now);
}
