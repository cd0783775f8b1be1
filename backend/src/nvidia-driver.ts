import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Logger } from "./logger.ts";

/**
 * The oldest driver branch that runs the image's CUDA 13 provider: CUDA 13.x needs a driver of
 * branch 580 or later (NVIDIA, "CUDA Minor Version Compatibility", table 1). On an older one the
 * provider fails to load with a generic library error, and the backend would fall back to the CPU.
 */
export const MIN_CUDA13_DRIVER_MAJOR = 580;

/** Where the node's driver version can be read; each returns `null` when it has nothing to say. */
export interface DriverSources {
  /** `/proc/driver/nvidia/version`, which the NVIDIA container runtime mounts into GPU containers. */
  procVersion(): string | null;
  /** `nvidia-smi --query-gpu=driver_version --format=csv,noheader`, when the runtime mounts it. */
  nvidiaSmi(): string | null;
}

export const systemDriverSources: DriverSources = {
  procVersion: () => {
    try {
      return readFileSync("/proc/driver/nvidia/version", "utf8");
    } catch {
      return null;
    }
  },
  nvidiaSmi: () => {
    try {
      return execFileSync("nvidia-smi", ["--query-gpu=driver_version", "--format=csv,noheader"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
        timeout: 10_000,
      });
    } catch {
      return null;
    }
  },
};

export interface DriverVersion {
  /** As the driver writes it, e.g. `580.65.06`. */
  version: string;
  major: number;
  from: "/proc/driver/nvidia/version" | "nvidia-smi";
}

const VERSION = /\b(\d{3,})\.\d+(?:\.\d+)?\b/;

/**
 * The node's NVIDIA driver version, or `null` when none is visible (a CPU node, or a GPU pod that
 * did not get the NVIDIA runtime). The proc file's first line is e.g.
 * `NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build …`.
 */
export function readDriverVersion(sources: DriverSources): DriverVersion | null {
  const nvrm = sources
    .procVersion()
    ?.split("\n")
    .find((line) => line.startsWith("NVRM version:"));
  const fromProc = nvrm === undefined ? null : VERSION.exec(nvrm.replace(/x86_64|aarch64/g, ""));
  if (fromProc)
    return { version: fromProc[0], major: Number(fromProc[1]), from: "/proc/driver/nvidia/version" };
  const fromSmi = VERSION.exec(sources.nvidiaSmi()?.trim().split("\n")[0] ?? "");
  if (fromSmi) return { version: fromSmi[0], major: Number(fromSmi[1]), from: "nvidia-smi" };
  return null;
}

/** A node whose driver cannot run the CUDA provider this backend was told to use. */
export class NvidiaDriverError extends Error {
  override readonly name = "NvidiaDriverError";
}

/**
 * Before any model loads: when `cuda` is among the execution providers and the node's driver is older
 * than {@link MIN_CUDA13_DRIVER_MAJOR}, throws a {@link NvidiaDriverError} naming both versions, so the
 * pod's last log line says what to fix instead of the backend serving from the CPU. Logs the driver it
 * found; a node with no visible driver only gets a warning, since `cuda` then falls back by design.
 *
 * @example
 * checkNvidiaDriver(config.executionProviders, logger);
 */
export function checkNvidiaDriver(
  executionProviders: readonly string[],
  logger: Logger,
  sources: DriverSources = systemDriverSources,
): void {
  if (!executionProviders.includes("cuda")) return;
  const driver = readDriverVersion(sources);
  if (driver === null) {
    logger.warn("no NVIDIA driver visible; the cuda execution provider will not load", {
      executionProviders,
    });
    return;
  }
  logger.info("NVIDIA driver", { ...driver });
  if (driver.major >= MIN_CUDA13_DRIVER_MAJOR) return;
  throw new NvidiaDriverError(
    `NVIDIA driver ${driver.version} (from ${driver.from}) is older than ${MIN_CUDA13_DRIVER_MAJOR}, which this image's CUDA 13 provider needs: upgrade the node's driver to branch ${MIN_CUDA13_DRIVER_MAJOR} or later (docs/deploy.md, "What you need"), or set SDGATE_EXECUTION_PROVIDERS without cuda to run on the CPU.`,
  );
}
