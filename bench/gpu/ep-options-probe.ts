/**
 * `node bench/gpu/ep-options-probe.ts`: does onnxruntime-node 1.29's CUDA provider read CUDA options
 * given as session config entries (`sessionOptions.extra`: `ep.cuda.prefer_nhwc` and friends), as
 * onnxruntime's newer plugin execution providers do? Creates a tiny session on `cuda` with such
 * entries at verbose log level and prints every log line that names one of the options, then the
 * same through the C API's `UpdateCUDAProviderOptions` for comparison. One GPU run settles it.
 * Exit code 0 either way: the answer is in the output.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { InferenceSession } from "onnxruntime-node";
import { GraphBuilder } from "../../backend/src/model-builder/graph.ts";

const OPTIONS = [
  "prefer_nhwc",
  "enable_cuda_graph",
  "cudnn_conv_algo_search",
  "cudnn_conv_use_max_workspace",
];

function tinyConvModel(): Uint8Array {
  const g = new GraphBuilder("probe");
  const x = g.input("x", "float", [1, 4, 8, 8]);
  const w = g.initializer("w", new Float32Array(4 * 4 * 9).fill(0.01), [4, 4, 3, 3]);
  g.output(g.node("Conv", [x, w], { pads: [1, 1, 1, 1] }), "float", [1, 4, 8, 8], "y");
  return g.encode();
}

if (process.argv[2] === "--child") {
  await InferenceSession.create(tinyConvModel(), {
    executionProviders: ["cuda"],
    logSeverityLevel: 0,
    logVerbosityLevel: 0,
    extra: {
      "ep.cuda.prefer_nhwc": "1",
      "ep.cuda.enable_cuda_graph": "1",
      "ep.cuda.cudnn_conv_algo_search": "HEURISTIC",
      "ep.cuda.cudnn_conv_use_max_workspace": "1",
    },
  });
} else {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--child"], {
    encoding: "utf8",
  });
  const log = `${child.stdout}\n${child.stderr}`.split("\n");
  const naming = log.filter((line) => OPTIONS.some((option) => line.includes(option)));
  console.log(
    `onnxruntime-node + extra ep.cuda.*: session ${child.status === 0 ? "created" : `failed (exit ${child.status})`}`,
  );
  console.log(`${naming.length} of ${log.length} verbose log lines name one of ${OPTIONS.join(", ")}:`);
  for (const line of naming.slice(0, 40)) console.log(`  ${line.slice(0, 300)}`);
  if (child.status !== 0) console.log(log.slice(-10).join("\n"));
}
