/**
 * `node scripts/full-size-checkpoint-smoke.ts [DIR]`: the single-file checkpoint path at SD 1.5's
 * full size, which the tests run at widths ÷ 8. Builds the random fp32 model, writes it as one float16
 * single-file checkpoint in the original layout (2.1 GB), adds a LoRA, rebuilds from both, and makes
 * a 256×256 image with clip skip 2 through the engine on the CPU. About 5 minutes and 10 GB of disk
 * under DIR (default /tmp/sdgate-full-size-smoke), removed at the end.
 */
import { rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPipeline } from "../backend/src/engine/index.ts";
import {
  diffusersTensors,
  writeSingleFileCheckpoint,
} from "../backend/src/model-import/checkpoint-test-support.ts";
import { importSd15 } from "../backend/src/model-import/import-sd15.ts";
import { encodeSafetensors, type SafetensorsTensor } from "../backend/src/model-import/safetensors.ts";

const root = process.argv[2] ?? "/tmp/sdgate-full-size-smoke";
const t = () => `${(performance.now() / 1000).toFixed(0)} s`;
const random = join(root, "random");
await importSd15(random, { dtype: "float32" });
console.log(t(), "random fp32 built");
const tensors = diffusersTensors(random);
console.log(t(), "tensors read", tensors.unet.length, tensors.vae.length, tensors.textEncoder.length);
const half = (list: readonly SafetensorsTensor[]) => list.map((x) => ({ ...x, dtype: "F16" as const }));
const file = join(root, "model.safetensors");
writeSingleFileCheckpoint(file, {
  textEncoder: half(tensors.textEncoder),
  unet: half(tensors.unet),
  vae: half(tensors.vae),
});
console.log(t(), "single file written", (statSync(file).size / 1e9).toFixed(2), "GB");
const module = "lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k";
const lora = join(root, "lora.safetensors");
writeFileSync(
  lora,
  encodeSafetensors(
    [
      {
        name: `${module}.lora_up.weight`,
        dtype: "F16",
        shape: [1280, 8],
        values: new Float32Array(1280 * 8).fill(0.01),
      },
      {
        name: `${module}.lora_down.weight`,
        dtype: "F16",
        shape: [8, 768],
        values: new Float32Array(8 * 768).fill(0.01),
      },
      { name: `${module}.alpha`, dtype: "F32", shape: [], values: Float32Array.of(4) },
    ],
    { format: "pt" },
  ),
);
const built = join(root, "built");
const result = await importSd15(built, {
  dtype: "float32",
  fromCheckpoint: file,
  tokenizerDir: join(random, "tokenizer"),
  loras: [{ path: lora, scale: 0.8 }],
});
console.log(
  t(),
  "rebuilt from the single file",
  result.unusedCheckpointTensors.length,
  "unused,",
  result.unmatchedLoraAdapters.length,
  "unmatched adapters",
);
const pipeline = await loadPipeline(built, { executionProviders: ["cpu"] });
const out = await pipeline.generate({
  prompt: "a lighthouse",
  width: 256,
  height: 256,
  steps: 2,
  guidanceScale: 7.5,
  seed: 1,
  clipSkip: 2,
});
console.log(t(), "generated", out.images[0]?.rgb.length, JSON.stringify(out.timingsMs));
await pipeline.release();
rmSync(root, { recursive: true, force: true });
