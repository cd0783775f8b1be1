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

/**
 * Samples the first GPU's used memory with `nvidia-smi -lms` while a phase runs; `peakMiB` is the
 * highest sample since the last `reset()`. Without nvidia-smi every reading is undefined.
 */
export class GpuMemorySampler {
  #process: ChildProcess | undefined;
  #peakMiB: number | undefined;

  start(intervalMs = 100): void {
    if (gpuName() === undefined) return;
    this.#process = spawn(
      "nvidia-smi",
      ["--query-gpu=memory.used", "--format=csv,noheader,nounits", `-lms=${intervalMs}`],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    this.#process.stdout?.on("data", (chunk: Buffer) => {
      for (const line of chunk.toString().split("\n")) {
        const mib = Number(line.split(",")[0]);
        if (line.trim() !== "" && Number.isFinite(mib)) this.#peakMiB = Math.max(this.#peakMiB ?? 0, mib);
      }
    });
  }

  reset(): void {
    this.#peakMiB = undefined;
  }

  get peakMiB(): number | undefined {
    return this.#peakMiB;
  }

  stop(): void {
    this.#process?.kill();
    this.#process = undefined;
  }
}
