import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectCheckpointArchitecture, detectDiffusersArchitecture } from "./checkpoint-architecture.ts";
import { torchTensors } from "./checkpoint-test-support.ts";
import { importSdxl } from "./import-sdxl.ts";
import { type AdapterSpec, expected, writeKohya } from "./lora-file-test-support.ts";
import * as fixtures from "./sdxl-checkpoint-test-support.ts";

const DIVISOR = 32;
const root = mkdtempSync(join(tmpdir(), "sdgate-import-sdxl-"));
const folder = join(root, "stable-diffusion-xl-base");
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The float32 files' weights and, different, the `.fp16` variants'. */
let full: fixtures.SdxlRequests;
let half: fixtures.SdxlRequests;

beforeAll(() => {
  full = fixtures.randomSdxlRequests(7, DIVISOR);
  half = fixtures.randomSdxlRequests(8, DIVISOR);
  fixtures.writeSdxlDiffusersFolder(folder, full, { dtype: "F32" });
  fixtures.writeSdxlDiffusersFolder(folder, half, { dtype: "F16", suffix: ".fp16" });
  // transformers saves CLIP's position_ids beside its weights
  const positionIds = { name: "text_model.embeddings.position_ids", dtype: "F32" as const, shape: [1, 77] };
  fixtures.writeTensors(join(folder, "text_encoder/model.safetensors"), [
    ...fixtures.sdxlStateDicts(full, "F32").textEncoder,
    { ...positionIds, values: new Float32Array(77) },
  ]);
  // about a second alone; past vitest's default 10 s when the other SDXL import files run beside it
}, 30_000);

/** A file of one zero tensor per name: enough for what reads only the header. */
function namesOnly(path: string, names: readonly string[]): string {
  fixtures.writeTensors(
    path,
    names.map((name) => ({ name, dtype: "F16", shape: [1], values: new Float32Array(1) })),
  );
  return path;
}

describe("SDXL from a diffusers folder", () => {
  it("reads the float32 files for a float32 build and the .fp16 variants first for a float16 one", async () => {
    const fp32 = await importSdxl(
      join(root, "out"),
      { dtype: "float32", fromDiffusers: folder },
      fixtures.requestingBuild(DIVISOR),
    );
    const fp16 = await importSdxl(
      join(root, "out"),
      { dtype: "float16", fromDiffusers: folder },
      fixtures.requestingBuild(DIVISOR),
    );
    for (const network of fixtures.SDXL_NETWORKS)
      full[network].forEach((want, i) => {
        const got = fp32.requests[network][i]?.values ?? new Float32Array();
        expect(Buffer.from(got.buffer).equals(Buffer.from(want.values.buffer)), want.name).toBe(true);
        const other = half[network][i]?.values ?? new Float32Array();
        const worst = (fp16.requests[network][i]?.values ?? new Float32Array()).reduce(
          (m, v, k) =>
            Math.max(m, Math.abs(v - (other[k] as number)) / (Math.abs(other[k] as number) + 1e-3)),
          0,
        );
        expect(worst, want.name).toBeLessThan(2 ** -10);
      });
    expect(fp32.unusedCheckpointTensors).toEqual([
      `${join(folder, "text_encoder/model.safetensors")}: text_model.embeddings.position_ids`,
    ]);
    expect(fp16.unusedCheckpointTensors).toEqual([]);
  }, 30_000);

  it("names the missing file, and refuses two sources or none", async () => {
    const build = fixtures.requestingBuild(DIVISOR);
    const partial = join(root, "no-encoder-2");
    fixtures.writeTensors(
      join(partial, "text_encoder/model.safetensors"),
      fixtures.sdxlStateDicts(full, "F32").textEncoder,
    );
    await expect(
      importSdxl(join(root, "out"), { dtype: "float32", fromDiffusers: partial }, build),
    ).rejects.toThrow(
      `${partial} has no text_encoder_2/model.safetensors or text_encoder_2/model.fp16.safetensors`,
    );
    await expect(
      importSdxl(
        join(root, "out"),
        { dtype: "float32", fromDiffusers: folder, fromCheckpoint: "x.safetensors" },
        build,
      ),
    ).rejects.toThrow(
      /options\.fromDiffusers and options\.fromCheckpoint: give one source of weights, not both/,
    );
    await expect(importSdxl(join(root, "out"), { dtype: "float32" }, build)).rejects.toThrow(
      /an SDXL import needs a source of weights/,
    );
  });
});

describe("SDXL built by buildSdxlFullSize", () => {
  it("takes a single file's weights with a LoRA merged, and commits no folder for a LoRA of another model", async () => {
    // 1/16 width: the builder's own SDXL (its groups do not divide 1/32's narrowest level)
    const base = fixtures.randomSdxlRequests(9, 16);
    const file = join(root, "sdxl-16.safetensors");
    fixtures.writeSdxlSingleFile(file, base, { dtype: "F32" });
    const spec: AdapterSpec = {
      target: "unet",
      module: "up_blocks.1.attentions.2.transformer_blocks.1.attn1.to_v",
      kohya: "lora_unet_output_blocks_5_1_transformer_blocks_1_attn1_to_v",
      shape: [40, 40],
      rank: 2,
      alpha: 1,
    };
    const lora = join(root, "style.safetensors");
    writeKohya(lora, [spec]);
    const options = { dtype: "float32", widthDivisor: 16, fromCheckpoint: file } as const;
    const dir = join(root, "built");
    const result = await importSdxl(dir, { ...options, loras: [{ path: lora, scale: 0.7 }] });
    expect(result.parameters.unet).toBeGreaterThan(0);
    expect([result.unusedCheckpointTensors, result.unmatchedLoraAdapters]).toEqual([[], []]);
    const unet = new Map(torchTensors(dir, "unet").map((t) => [t.name, t.values]));
    const state = new Map(fixtures.sdxlStateDicts(base, "F32").unet.map((t) => [t.name, t.values]));
    const name = `${spec.module}.weight`;
    const want = expected(spec, 0, state.get(name) as Float32Array, 0.7);
    const got = unet.get(name) as Float32Array;
    expect(want.every((w, i) => Math.abs((got[i] as number) - w) < 1e-5)).toBe(true);
    for (const other of [
      "add_embedding.linear_1.weight",
      "up_blocks.1.attentions.2.transformer_blocks.1.attn1.to_q.weight",
    ])
      expect(unet.get(other), other).toEqual(state.get(other));

    const sd15 = join(root, "sd15-lora.safetensors");
    writeKohya(sd15, [{ ...spec, kohya: "lora_unet_down_blocks_0_attentions_0_proj_in" }]);
    const refused = join(root, "refused");
    await expect(importSdxl(refused, { ...options, loras: [{ path: sd15, scale: 1 }] })).rejects.toThrow(
      /none of its 1 LoRA adapters matches an SDXL weight/,
    );
    expect(existsSync(refused)).toBe(false);
  }, 60_000);
});

describe("a single file's architecture", () => {
  it("is told by its text encoders' names: SDXL base, the refiner, SD 1.x, and errors for SD 2.x or no checkpoint; a folder's by its encoders", () => {
    const unet = "model.diffusion_model.out.2.bias";
    const sdxl = namesOnly(join(root, "xl.safetensors"), [
      unet,
      "conditioner.embedders.0.transformer.text_model.final_layer_norm.bias",
      "conditioner.embedders.1.model.ln_final.bias",
    ]);
    expect(detectCheckpointArchitecture(sdxl)).toBe("sdxl");
    const sd15 = namesOnly(join(root, "sd15.safetensors"), [
      unet,
      "cond_stage_model.transformer.text_model.final_layer_norm.bias",
    ]);
    expect(detectCheckpointArchitecture(sd15)).toBe("sd15");
    const sd2 = namesOnly(join(root, "sd2.safetensors"), [unet, "cond_stage_model.model.ln_final.bias"]);
    expect(() => detectCheckpointArchitecture(sd2)).toThrow(/an SD 2\.x checkpoint/);
    const bigG = "conditioner.embedders.0.model.ln_final.bias";
    const refiner = namesOnly(join(root, "refiner.safetensors"), [
      unet,
      "model.diffusion_model.input_blocks.9.0.op.weight",
      "model.diffusion_model.label_emb.0.0.weight",
      bigG,
    ]);
    expect(detectCheckpointArchitecture(refiner)).toBe("sdxl-refiner");
    // OpenCLIP alone beside a UNet of three levels, or of four without label_emb (SD 2.x as
    // generative-models saves it), is no refiner
    for (const names of [
      [unet, bigG],
      [unet, "model.diffusion_model.input_blocks.9.0.op.weight", bigG],
    ]) {
      const other = namesOnly(join(root, "other.safetensors"), names);
      expect(() => detectCheckpointArchitecture(other)).toThrow(
        /OpenCLIP alone .* but not its four-level UNet/,
      );
    }
    // a diffusers folder by its encoders (the refiner's by its model_index.json: see the refiner's tests)
    expect([detectDiffusersArchitecture(folder), detectDiffusersArchitecture(root)]).toEqual([
      "sdxl",
      "sd15",
    ]);
    const lora = namesOnly(join(root, "lora.safetensors"), ["lora_unet_x.alpha"]);
    expect(() => detectCheckpointArchitecture(lora)).toThrow(
      `${lora}: no model.diffusion_model.* tensors, so not a single-file Stable Diffusion checkpoint`,
    );
  });
});
