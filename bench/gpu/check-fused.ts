/**
 * `node bench/gpu/check-fused.ts STANDARD_DIR FUSED_DIR [provider]`: the numerical check the CPU cannot
 * make — each network of the fused graph (onnxruntime's CUDA-only GroupNorm, SkipGroupNorm, NhwcConv,
 * BiasSplitGelu, BiasAdd, packed MultiHeadAttention) against the standard graph on the same provider
 * (default cuda), same inputs. Prints the worst difference relative to the output's largest magnitude
 * per network and exits 1 above the tolerance (2e-2: fp16 kernels accumulate in different orders).
 * Models built with `--lora-inputs` are checked twice per network: with no LoRA (the engine's empty
 * feeds) and with the same rank-4 set on every adapter input of both graphs.
 */
import type { InferenceSession } from "onnxruntime-node";
import { Tensor } from "onnxruntime-node";
import { adapterSlots, type SlotAdapter, slotFeeds } from "../../backend/src/engine/lora/adapter-slots.ts";
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

const RANK = 4;

/** A seed from a module's name, so both graphs get the same values whatever their input order. */
function seedOf(module: string): number {
  let hash = 17;
  for (const char of module) hash = (hash * 31 + (char.codePointAt(0) ?? 0)) % 100_003;
  return hash;
}

/**
 * The adapter feeds of `loaded` (none for a model without adapter inputs): the empty set, or `rank`
 * small values on every slot, as a LoRA's folded-in strength would leave them.
 */
function loraFeeds(loaded: LoadedSession, rank: number): Record<string, Tensor> {
  const slots = adapterSlots(loaded);
  const adapters = new Map<string, SlotAdapter>();
  if (rank > 0)
    for (const slot of slots.values()) {
      const fanIn = slot.inFeatures * slot.kernel * slot.kernel;
      const seed = seedOf(slot.module);
      adapters.set(slot.module, {
        down: noise(rank * fanIn, seed, 1 / Math.sqrt(fanIn)),
        up: noise(rank * slot.outFeatures, seed + 1, 0.1 / Math.sqrt(rank)),
        rank,
      });
    }
  return slotFeeds(slots, adapters);
}

/** Each network's output per LoRA rank (just [0] for a model without adapter inputs). */
async function networkOutputs(dir: string, network: string, feeds: Feeds, output: string) {
  const loaded = await createSession(dir, `${network}/model.onnx`, [provider], logger);
  try {
    const ranks = adapterSlots(loaded).size > 0 ? [0, RANK] : [0];
    const results = new Map<number, Float32Array>();
    for (const rank of ranks) {
      const all = { ...feeds(loaded), ...loraFeeds(loaded, rank) } as InferenceSession.FeedsType;
      results.set(rank, outputData(loaded, await loaded.session.run(all), output).data);
    }
    return results;
  } finally {
    await loaded.session.release();
  }
}

let failed = false;
for (const [network, feeds, output] of cases) {
  const standard = await networkOutputs(standardDir, network, feeds, output);
  const fused = await networkOutputs(fusedDir, network, feeds, output);
  for (const [rank, expected] of standard) {
    const actual = fused.get(rank);
    if (actual === undefined)
      throw new Error(`${network}: the fused graph has no LoRA inputs, the standard one has`);
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
    const lora = standard.size > 1 ? (rank === 0 ? ", no LoRA" : `, rank-${rank} LoRA on every input`) : "";
    console.log(
      `${network}${lora}: max |fused − standard| / max |standard| = ${relative.toExponential(2)} ${ok ? "ok" : "FAIL"}`,
    );
  }
}
process.exit(failed ? 1 : 0);
