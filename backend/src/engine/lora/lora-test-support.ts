import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expandCudaOnlyOps } from "../../model-builder/contrib-reference.ts";
import { gaussian } from "../../model-builder/ort-test-support.ts";
import { buildSd15FullSize } from "../../model-builder/sd15-full-size.ts";
import { diffusersTensors, writeSingleFileCheckpoint } from "../../model-import/checkpoint-test-support.ts";
import { importSd15 } from "../../model-import/import-sd15.ts";
import { encodeSafetensors, type SafetensorsTensor } from "../../model-import/safetensors.ts";

/** One trained layer of a test LoRA, by kohya's name, with torch's weight shape. */
export interface TestAdapter {
  kohya: string;
  shape: readonly number[];
  rank: number;
  alpha?: number;
}

/**
 * Layers of SD 1.5's architecture at 1/8 width (`widthDivisor: 8`): a UNet attention projection, a
 * feed-forward Linear, a LoCon 3×3 convolution and a stride-2 one, and two CLIP Linears.
 */
export const TEST_ADAPTERS: readonly TestAdapter[] = [
  {
    kohya: "lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q",
    shape: [40, 40],
    rank: 4,
    alpha: 2,
  },
  { kohya: "lora_unet_up_blocks_1_attentions_0_transformer_blocks_0_attn2_to_k", shape: [160, 96], rank: 3 },
  {
    kohya: "lora_unet_mid_block_attentions_0_transformer_blocks_0_ff_net_0_proj",
    shape: [1280, 160],
    rank: 2,
  },
  { kohya: "lora_unet_down_blocks_1_resnets_0_conv1", shape: [80, 40, 3, 3], rank: 2 },
  { kohya: "lora_unet_down_blocks_0_downsamplers_0_conv", shape: [40, 40, 3, 3], rank: 2, alpha: 4 },
  { kohya: "lora_te_text_model_encoder_layers_0_self_attn_q_proj", shape: [96, 96], rank: 4, alpha: 8 },
  { kohya: "lora_te_text_model_encoder_layers_1_mlp_fc1", shape: [384, 96], rank: 2 },
];

/**
 * A kohya-layout LoRA file training `adapters`, with values from `seed`, sized so that it changes
 * the networks' outputs clearly without blowing them up.
 */
export function writeTestLora(path: string, adapters: readonly TestAdapter[], seed: number): void {
  const tensors = adapters.flatMap((adapter, i): SafetensorsTensor[] => {
    const [out, ...inner] = adapter.shape as [number, ...number[]];
    const fanIn = inner.reduce((a, b) => a * b, 1);
    const conv = adapter.shape.length === 4;
    const scaled = (values: Float32Array, by: number) => values.map((v) => v * by);
    const list: SafetensorsTensor[] = [
      {
        name: `${adapter.kohya}.lora_up.weight`,
        dtype: "F32",
        shape: conv ? [out, adapter.rank, 1, 1] : [out, adapter.rank],
        values: scaled(gaussian(out * adapter.rank, seed + 2 * i), 1 / Math.sqrt(adapter.rank)),
      },
      {
        name: `${adapter.kohya}.lora_down.weight`,
        dtype: "F32",
        shape: [adapter.rank, ...inner],
        values: scaled(gaussian(adapter.rank * fanIn, seed + 2 * i + 1), 1 / Math.sqrt(fanIn)),
      },
    ];
    if (adapter.alpha !== undefined)
      list.push({
        name: `${adapter.kohya}.alpha`,
        dtype: "F32",
        shape: [],
        values: Float32Array.of(adapter.alpha),
      });
    return list;
  });
  writeFileSync(path, encodeSafetensors(tensors, { format: "pt" }));
}

/**
 * SD 1.5 at 1/8 width with random weights, as a checkpoint: `plain` built as it is, `withInputs` the
 * same weights with LoRA inputs, and `merged(…)` the same with LoRAs merged at build time.
 */
export class LoraTestModels {
  readonly root = mkdtempSync(join(tmpdir(), "sdgate-lora-engine-"));
  readonly plain = join(this.root, "plain");
  readonly withInputs = join(this.root, "with-inputs");
  readonly #checkpoint = join(this.root, "model.safetensors");
  #merges = 0;

  async build(): Promise<void> {
    await buildSd15FullSize(this.plain, { dtype: "float32", widthDivisor: 8 });
    writeSingleFileCheckpoint(this.#checkpoint, diffusersTensors(this.plain));
    await importSd15(this.withInputs, { ...this.#importOptions(), loraInputs: "locon" });
  }

  /**
   * The same weights with LoRA inputs, built with the fused (CUDA) operators, its UNet's CUDA-only
   * operators rewritten into standard ones so the CPU provider runs it (contrib-reference.ts).
   */
  async fusedWithInputs(): Promise<string> {
    const dir = join(this.root, "fused-with-inputs");
    await importSd15(dir, { ...this.#importOptions(), loraInputs: "locon", operators: "fused" });
    for (const network of ["unet", "text_encoder"]) {
      const file = join(dir, network, "model.onnx");
      writeFileSync(file, expandCudaOnlyOps(readFileSync(file)));
    }
    return dir;
  }

  /** A model folder with `loras` merged into its weights (model-import/lora.ts). */
  async merged(loras: readonly { path: string; scale: number }[]): Promise<string> {
    const dir = join(this.root, `merged-${this.#merges++}`);
    await importSd15(dir, { ...this.#importOptions(), loras });
    return dir;
  }

  lora(name: string, adapters: readonly TestAdapter[], seed: number): string {
    const path = join(this.root, `${name}.safetensors`);
    writeTestLora(path, adapters, seed);
    return path;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  #importOptions() {
    return {
      dtype: "float32",
      widthDivisor: 8,
      fromCheckpoint: this.#checkpoint,
      tokenizerDir: join(this.plain, "tokenizer"),
    } as const;
  }
}
