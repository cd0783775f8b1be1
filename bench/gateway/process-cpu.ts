import { readdirSync, readFileSync } from "node:fs";

/** `sysconf(_SC_CLK_TCK)`, the unit of `/proc/<pid>/stat` CPU times: 100 on every mainstream Linux. */
const CLOCK_TICKS_PER_S = 100;
/**
 * CPU time (user + system, ms) used so far by the `workerd` processes this process started (Miniflare
 * runs one): what the edge, its Durable Objects and the local KV/R2/D1/Cache simulators cost together,
 * since they all share workerd's thread. Linux only (`/proc`); `null` elsewhere.
 */
export function workerdCpuMs(): number | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return null;
  }
  let ticks = 0;
  for (const pid of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    // proc(5): after "(comm) " come state, ppid, …; utime and stime are fields 14 and 15.
    const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (comm !== "workerd" || Number(fields[1]) !== process.pid) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}
