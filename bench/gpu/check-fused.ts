/**
 * `node bench/gpu/check-fused.ts STANDARD_DIR FUSED_DIR [provider]`: the numerical check the CPU cannot
 * make — each network of the fused graph (onnxruntime's CUDA-only GroupNorm, SkipGroupNorm, NhwcConv,
 * BiasSplitGelu, BiasAdd, packed MultiHeadAttention) against the standard graph on the same provider
 * (default cuda), same inputs. Prints the worst difference relative to the output's largest magnitude
 * per network and exits 1 above the tolerance (2e-2: fp16 kernels accumulate in different orders).
 */
import type { InferenceSession } from "onnxruntime-node";
import { Tensor } from "onnxruntime-node";
import {
  createSession,
  findInput,
  floatTensor,
  type LoadedSession,
  outputData,
} from "../../backend/src/engine/models/onnx-session.ts";

const [standardDir, fusedDir, provider = "cuda"] = process.argv.slice(2);
if (standardDir === undefined || fusedDir === undefined)
  throw new Error("usage: check-fused.ts STANDARD_DIR FUSED_DIR [provider]");
const logger = { info() {}, warn() {} };
const TOLERANCE = 2e-2;

function noise(count: number, seed: number, scale = 1): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin((i + 1) * 12.9898 + seed) * scale);
}

type Feeds = (s: LoadedSession) => Record<string, Tensor>;
const ids = new Int32Array(2 * 77).fill(49407);
ids.set([49406, 320, 1929, 530], 0);
ids.set([49406], 77);
const cases: [string, Feeds, string][] = [
  ["text_encoder", () => ({ input_ids: new Tensor("int32", ids, [2, 77]) }), "last_hidden_state"],
  [
    "unet",
    (s) => ({
      sample: floatTensor(findInput(s, ["sample"]), noise(2 * 4 * 64 * 64, 1), [2, 4, 64, 64]),
      timestep: floatTensor(findInput(s, ["timestep"]), new Float32Array([500, 500]), [2]),
      encoder_hidden_states: floatTensor(
        findInput(s, ["encoder_hidden_states"]),
        noise(2 * 77 * 768, 2),
        [2, 77, 768],
      ),
    }),
    "out_sample",
  ],
  [
    "vae_decoder",
    (s) => ({
      latent_sample: floatTensor(findInput(s, ["latent_sample"]), noise(4 * 64 * 64, 3, 3), [1, 4, 64, 64]),
    }),
    "sample",
  ],
];

let failed = false;
for (const [network, feeds, output] of cases) {
  const results: Float32Array[] = [];
  for (const dir of [standardDir, fusedDir]) {
    const loaded = await createSession(dir, `${network}/model.onnx`, [provider], logger);
    try {
      const out = await loaded.session.run(feeds(loaded) as InferenceSession.FeedsType);
      results.push(outputData(loaded, out, output).data);
    } finally {
      await loaded.session.release();
    }
  }
  const [expected, actual] = results as [Float32Array, Float32Array];
  let worst = 0;
  let scale = 0;
  let finite = true;
  for (let i = 0; i < expected.length; i++) {
    finite &&= Number.isFinite(actual[i] as number);
    worst = Math.max(worst, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  const relative = worst / scale;
  const ok = finite && relative < TOLERANCE;
  failed ||= !ok;
  console.log(
    `${network}: max |fused − standard| / max |standard| = ${relative.toExponential(2)} ${ok ? "ok" : "FAIL"}`,
  );
}
process.exit(failed ? 1 : 0);
