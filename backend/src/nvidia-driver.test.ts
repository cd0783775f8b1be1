import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";
import {
  checkNvidiaDriver,
  type DriverSources,
  MIN_CUDA13_DRIVER_MAJOR,
  NvidiaDriverError,
  readDriverVersion,
} from "./nvidia-driver.ts";

// As the drivers write them: the proprietary and the open kernel module, and nvidia-smi's CSV.
const PROC_535 =
  "NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n";
const PROC_580_OPEN =
  "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build  (dvs-builder@U16-I1-N07-12-3)  Sun Jul 27 07:09:56 UTC 2025\nGCC version:  gcc version 13.3.0 (Ubuntu 13.3.0-6ubuntu2~24.04)\n";
const SMI_570 = "570.133.20\n570.133.20\n";

function sources(proc: string | null, smi: string | null = null): DriverSources {
  return { procVersion: () => proc, nvidiaSmi: () => smi };
}

function recorder() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: createLogger("test", (line) => lines.push(JSON.parse(line))) };
}

describe("the NVIDIA driver check at startup", () => {
  it("reads the driver version from /proc, else from nvidia-smi", () => {
    expect(readDriverVersion(sources(PROC_535))).toEqual({
      version: "535.104.05",
      major: 535,
      from: "/proc/driver/nvidia/version",
    });
    expect(readDriverVersion(sources(PROC_580_OPEN))?.version).toBe("580.65.06");
    expect(readDriverVersion(sources(null, SMI_570))).toEqual({
      version: "570.133.20",
      major: 570,
      from: "nvidia-smi",
    });
    expect(readDriverVersion(sources(null, null))).toBeNull();
    expect(readDriverVersion(sources("garbage\n", "NVIDIA-SMI has failed\n"))).toBeNull();
  });

  it("refuses to start on a driver older than 580 when cuda is asked for, naming both versions and the fix", () => {
    const { logger } = recorder();
    const start = () => checkNvidiaDriver(["cuda", "cpu"], logger, sources(PROC_535));
    expect(start).toThrow(NvidiaDriverError);
    expect(start).toThrow(/NVIDIA driver 535\.104\.05 .* older than 580/);
    expect(start).toThrow(/SDGATE_EXECUTION_PROVIDERS/);
    expect(() => checkNvidiaDriver(["cuda"], logger, sources(null, SMI_570))).toThrow(/570\.133\.20/);
  });

  it("starts on driver 580 or later and logs which it found", () => {
    const { lines, logger } = recorder();
    checkNvidiaDriver(["cuda", "cpu"], logger, sources(PROC_580_OPEN));
    expect(MIN_CUDA13_DRIVER_MAJOR).toBe(580);
    expect(lines).toEqual([
      expect.objectContaining({ level: "info", message: "NVIDIA driver", version: "580.65.06", major: 580 }),
    ]);
  });

  it("only warns when no driver is visible, and ignores the driver when cuda is not asked for", () => {
    const { lines, logger } = recorder();
    checkNvidiaDriver(["cuda", "cpu"], logger, sources(null, null));
    expect(lines).toEqual([expect.objectContaining({ level: "warn" })]);
    checkNvidiaDriver(["cpu"], logger, sources(PROC_535));
    expect(lines).toHaveLength(1);
  });
});
