import { type ChildProcess, execFileSync, spawn } from "node:child_process";

/** The first GPU's name from nvidia-smi, or undefined where there is none. */
export function gpuName(): string | undefined {
  try {
    return execFileSync("nvidia-smi", ["--query-gpu=name", "--format=csv,noheader"], { encoding: "utf8" })
      .split("\n")[0]
      ?.trim();
  } catch {
    return undefined;
  }
}

/** What the GPU did between two `reset()`s: the numbers that tell a starved GPU from a slow one. */
export interface GpuActivity {
  peakMiB: number;
  /** Mean of nvidia-smi's utilization.gpu: the share of time a kernel was running. */
  meanUtilization: number;
  smClockMinMHz: number;
  smClockMaxMHz: number;
  peakPowerW: number;
  samples: number;
}

/**
 * Samples the first GPU with `nvidia-smi -lms` while a phase runs: memory, utilization, SM clock and
 * power. A median far above the minimum with utilization well under 100 % means the GPU waits for the
 * host (kernel launches, copies); with the SM clock moving, it is the GPU's own clock management.
 * Without nvidia-smi every reading is undefined.
 */
export class GpuSampler {
  #process: ChildProcess | undefined;
  #samples: { mib: number; util: number; clock: number; power: number }[] = [];

  start(intervalMs = 100): void {
    if (gpuName() === undefined) return;
    this.#process = spawn(
      "nvidia-smi",
      [
        "--query-gpu=memory.used,utilization.gpu,clocks.sm,power.draw",
        "--format=csv,noheader,nounits",
        `-lms=${intervalMs}`,
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    this.#process.stdout?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        const [mib, util, clock, power] = line.split(",").map(Number);
        if (line.trim() !== "" && Number.isFinite(mib))
          this.#samples.push({ mib: mib ?? 0, util: util ?? 0, clock: clock ?? 0, power: power ?? 0 });
      }
    });
  }

  reset(): void {
    this.#samples = [];
  }

  get peakMiB(): number | undefined {
    return this.activity?.peakMiB;
  }

  get activity(): GpuActivity | undefined {
    const s = this.#samples;
    if (s.length === 0) return undefined;
    const finite = (values: number[]) => values.filter(Number.isFinite);
    const clocks = finite(s.map((x) => x.clock));
    const utils = finite(s.map((x) => x.util));
    return {
      peakMiB: Math.max(...s.map((x) => x.mib)),
      meanUtilization: utils.reduce((a, b) => a + b, 0) / Math.max(1, utils.length),
      smClockMinMHz: Math.min(...clocks),
      smClockMaxMHz: Math.max(...clocks),
      peakPowerW: Math.max(...finite(s.map((x) => x.power))),
      samples: s.length,
    };
  }

  stop(): void {
    this.#process?.kill();
    this.#process = undefined;
  }
}
