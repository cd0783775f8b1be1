import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { FloatTypeName } from "./graph.ts";
import { moveIntoPlace } from "./model-folder.ts";
import { type NetworkBuilder, stagingFor, writeStreamedNetwork } from "./streamed-network.ts";
import { CountingSink } from "./tensor-sink.ts";

/** A network's parameters, their bytes in its float type, and its weight tensors. */
export interface NetworkCount {
  parameters: number;
  bytes: number;
  tensors: number;
}

/** Each network's counts, from graphs built with a counting sink: no weight is made. */
export function countNetworks<N extends string>(
  networks: readonly N[],
  builders: Record<N, NetworkBuilder>,
  floatTypeOf: (network: N) => FloatTypeName,
): Record<N, NetworkCount> {
  const counts = {} as Record<N, NetworkCount>;
  for (const network of networks) {
    const sink = new CountingSink();
    builders[network]({ floatType: floatTypeOf(network), sink });
    counts[network] = {
      parameters: sink.parameters,
      bytes: sink.parameterBytes,
      tensors: sink.parameterTensors,
    };
  }
  return counts;
}

/** One network of a folder: its subfolder name, builder, float type and parameter bytes. */
export interface StreamedFolderNetwork<N extends string> {
  name: N;
  build: NetworkBuilder;
  floatType: FloatTypeName;
  parameterBytes: number;
}

export interface StreamedFolderOptions<N extends string> {
  /** Called as weights are written, with bytes of parameters done and in all. */
  onProgress?: (progress: { network: N; bytesDone: number; bytesTotal: number }) => void;
  /** Called once every network is written, before the folder appears: throwing abandons the build. */
  beforeCommit?: () => void;
  /** Write the folder's other files (configs, tokenizers) into the staging folder. */
  writeFiles: (staging: string) => void;
}

/**
 * Write each network to `<dir>/<name>/model.onnx` with its weights streamed to `model.onnx_data`, then
 * the other files, in a hidden sibling renamed into place: the folder appears whole or not at all.
 * Returns the bytes of each network's `model.onnx_data`.
 */
export async function writeStreamedFolder<N extends string>(
  dir: string,
  networks: readonly StreamedFolderNetwork<N>[],
  options: StreamedFolderOptions<N>,
): Promise<Record<N, number>> {
  const staging = stagingFor(dir);
  const bytesTotal = networks.reduce((sum, n) => sum + n.parameterBytes, 0);
  let bytesDone = 0;
  const dataBytes = {} as Record<N, number>;
  try {
    for (const network of networks) {
      dataBytes[network.name] = writeStreamedNetwork(
        join(staging, network.name),
        network.build,
        network.floatType,
        (bytes) => {
          bytesDone += bytes;
          options.onProgress?.({ network: network.name, bytesDone, bytesTotal });
        },
      );
    }
    options.beforeCommit?.();
    options.writeFiles(staging);
    await moveIntoPlace(staging, dir, async () => false);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return dataBytes;
}
