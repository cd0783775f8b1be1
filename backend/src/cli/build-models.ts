/**
 * Build the project's own models.
 *
 *   npx node backend/src/cli/build-models.ts [dir] [--all-tiny]
 *     the tiny model in `<dir>/tiny` (default dir `.sdgate/models` under the repository root); with
 *     --all-tiny every tiny variant (family × exporter × dtype × external data) beside it, the tiny
 *     ControlNet model and a tiny ControlNet in `<dir>/controlnet/tiny`.
 *   npx node backend/src/cli/build-models.ts --full-size --dtype float16 --out DIR [--tokenizer DIR]
 *       [--exporter diffusers|optimum] [--seed N] [--operators standard|fused]
 *     SD 1.5's full architecture with seeded random weights, for GPU benchmarks (≈2 GB in fp16,
 *     ≈4 GB in fp32), with a progress bar on stderr; `--operators fused` writes onnxruntime's fused
 *     contrib operators for its CUDA provider (GroupNorm, MultiHeadAttention, …; see `OperatorSet`).
 *   npx node backend/src/cli/build-models.ts --full-size --from-diffusers DIR --out OUT [--operators fused] …
 *     the same with a diffusers-format SD 1.5 folder's weights (DIR/unet, text_encoder, vae
 *     safetensors, or their .fp16 variants) and its tokenizer/ when it has one.
 *   npx node backend/src/cli/build-models.ts --full-size --from-checkpoint FILE.safetensors --tokenizer DIR --out OUT …
 *     the same with a single-file SD 1.5 checkpoint's weights (the original layout that A1111 and most
 *     shared fine-tunes use); CLIP's tokenizer files come from --tokenizer.
 *   … --lora-inputs linear|locon builds the UNet and text encoder with low-rank adapter inputs (on the
 *     Linears and 1×1 convolutions, or on every convolution too), so requests can apply the backend's
 *     LoRAs per request (`lora`, `<lora:name:weight>`) without a rebuild; with either --operators.
 *   … --lora FILE.safetensors[:SCALE] (repeatable) merges LoRA adapters (kohya's or PEFT's layout) into
 *     the checkpoint's UNet and text encoder, each at SCALE (default 1), into a model of its own.
 *   … --with-cnet also writes cnet/: the same UNet taking a ControlNet's residuals (onnx-web's layout).
 *   npx node backend/src/cli/build-models.ts --full-size --architecture sdxl --dtype float16 --out DIR
 *       [--tokenizer DIR] [--seed N] [--operators standard|fused] [--lora-inputs linear|locon]
 *     SDXL base 1.0's full architecture with seeded random weights (≈7 GB in fp16: the two text
 *     encoders, the 2.6B UNet taking text_embeds and time_ids, the VAE kept in float32 as diffusers'
 *     force_upcast runs it), laid out as optimum exports SDXL; --tokenizer fills tokenizer/ and
 *     tokenizer_2/. `--architecture sd15` (the default) is everything above.
 *   … --from-diffusers DIR, --from-checkpoint FILE.safetensors and --lora FILE[:SCALE] read SDXL's real
 *     weights as they read SD 1.5's (a diffusers SDXL folder; a single file in Stability's layout,
 *     fp32, fp16 or bf16; kohya's or PEFT's SDXL LoRAs). A single file is built as the model its
 *     tensors say (SDXL when it has conditioner.embedders.*), a diffusers folder as SDXL when it has
 *     text_encoder_2/, unless --architecture is given.
 *   … --architecture sdxl-refiner: SDXL refiner 1.0 (bigG alone, its four-level UNet with five time
 *     ids, SDXL's VAE), random or --from-checkpoint sd_xl_refiner_1.0.safetensors / --from-diffusers
 *     a refiner folder (told apart from base by its tensors or model_index.json); no --lora, no
 *     --lora-inputs.
 *   npx node backend/src/cli/build-models.ts --controlnet SOURCE --out MODEL/controlnet/NAME [--dtype …]
 *       [--operators …] [--controlnet-base CHECKPOINT]
 *     a ControlNet as its own folder (model.onnx, model.onnx_data, config.json): SOURCE is a diffusers
 *     folder (SD 1.x/2.x, or SDXL's with `addition_embed_type: "text_time"`), an SD 1.5 .safetensors
 *     file in lllyasviel's layout (control_model.* or bare), or `random` (seeded random weights, for
 *     benchmarks); a difference file needs --controlnet-base, the
 *     base model (single file or diffusers folder) whose UNet it was made against.
 *
 * Rebuilding an up-to-date tiny folder is a no-op.
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import {
  ensureTinyControlNet,
  ensureTinyModelDetailed,
  TINY_FAMILIES,
  type TinyModelOptions,
} from "../model-builder/index.ts";
import type { LoraInputLayers } from "../model-builder/lora-inputs.ts";
import type { OperatorSet } from "../model-builder/nn.ts";
import { buildSd15ControlNetFullSize } from "../model-builder/sd15-controlnet-full-size.ts";
import { buildSdxlFullSize, type SdxlFullSizeOptions } from "../model-builder/sdxl-full-size.ts";
import { buildSdxlRefinerFullSize } from "../model-builder/sdxl-refiner-full-size.ts";
import { defaultExporter } from "../model-builder/tiny-families.ts";
import {
  detectCheckpointArchitecture,
  detectDiffusersArchitecture,
} from "../model-import/checkpoint-architecture.ts";
import { summarizeUnusedTensors } from "../model-import/checkpoint-weights.ts";
import { importControlNet } from "../model-import/import-controlnet.ts";
import { importSd15 } from "../model-import/import-sd15.ts";
import { importSdxl } from "../model-import/import-sdxl.ts";
import { importSdxlRefiner } from "../model-import/import-sdxl-refiner.ts";
import { parseLoraSpec } from "../model-import/lora.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    "full-size": { type: "boolean", default: false },
    architecture: { type: "string" },
    "all-tiny": { type: "boolean", default: false },
    dtype: { type: "string", default: "float16" },
    exporter: { type: "string" },
    out: { type: "string" },
    tokenizer: { type: "string" },
    seed: { type: "string" },
    operators: { type: "string", default: "standard" },
    "from-diffusers": { type: "string" },
    "from-checkpoint": { type: "string" },
    lora: { type: "string", multiple: true },
    "with-cnet": { type: "boolean", default: false },
    controlnet: { type: "string" },
    "controlnet-base": { type: "string" },
    "lora-inputs": { type: "string" },
  },
});

for (const flag of ["from-diffusers", "from-checkpoint"] as const)
  if (values[flag] !== undefined && !values["full-size"])
    fail(`--${flag} needs --full-size (the tiny models are always random)`);
if (values["from-diffusers"] !== undefined && values["from-checkpoint"] !== undefined)
  fail("--from-diffusers and --from-checkpoint: give one source of weights, not both");
if (
  values.lora !== undefined &&
  values["from-diffusers"] === undefined &&
  values["from-checkpoint"] === undefined
)
  fail("--lora is merged into a checkpoint: give --from-checkpoint FILE or --from-diffusers DIR");
if (values["from-checkpoint"] !== undefined && values.tokenizer === undefined)
  fail(
    "--from-checkpoint needs --tokenizer DIR (CLIP's vocab.json and merges.txt): a single-file checkpoint has none",
  );
if (values["controlnet-base"] !== undefined && values.controlnet === undefined)
  fail("--controlnet-base is the base model of a difference ControlNet: give --controlnet FILE too");
if (values.controlnet !== undefined && values["full-size"])
  fail("--controlnet builds a ControlNet on its own: leave out --full-size (use --with-cnet for cnet/)");
// the weights say which model they are (otherwise SD 1.5), unless --architecture says
const architecture =
  values.architecture ?? checkpointArchitecture(values["from-checkpoint"], values["from-diffusers"]);
if (architecture !== "sd15" && architecture !== "sdxl" && architecture !== "sdxl-refiner")
  fail(`--architecture: ${architecture} is not sd15, sdxl or sdxl-refiner`);
const sdxlFamily = architecture === "sdxl" || architecture === "sdxl-refiner";
if (sdxlFamily) {
  if (!values["full-size"])
    fail(`--architecture ${architecture} needs --full-size (the tiny ones come with --all-tiny)`);
  for (const flag of ["with-cnet", "exporter"] as const)
    if (values[flag] !== undefined && values[flag] !== false)
      fail(`--${flag} is for SD 1.5: SDXL is built in optimum's layout, without cnet/`);
}
if (architecture === "sdxl-refiner" && values["lora-inputs"] !== undefined)
  fail("--lora-inputs: the SDXL refiner is built without LoRA inputs (nothing applies adapters to it)");
if (values.controlnet !== undefined) await buildControlNet(values.controlnet);
else if (sdxlFamily) await buildSdxl(architecture === "sdxl-refiner");
else if (values["full-size"]) await buildFullSize();
else await buildTiny();

async function buildFullSize(): Promise<void> {
  const {
    dtype,
    exporter = "diffusers",
    out,
    tokenizer,
    seed,
    operators,
    "from-diffusers": fromDiffusers,
    "from-checkpoint": fromCheckpoint,
    lora,
    "lora-inputs": loraInputs,
  } = values;
  const loras = (lora ?? []).map(parseLoraSpec);
  if (loraInputs !== undefined && loraInputs !== "linear" && loraInputs !== "locon")
    fail(`--lora-inputs: ${loraInputs} is not linear or locon`);
  if (operators !== "standard" && operators !== "fused")
    fail(`--operators: ${operators} is not standard or fused`);
  if (out === undefined) fail("--full-size needs --out DIR");
  if (dtype !== "float16" && dtype !== "float32") fail(`--dtype: ${dtype} is not float16 or float32`);
  if (exporter !== "diffusers" && exporter !== "optimum")
    fail(`--exporter: ${exporter} is not diffusers or optimum`);
  const seedValue = seed === undefined ? undefined : Number(seed);
  if (seedValue !== undefined && !Number.isSafeInteger(seedValue)) fail(`--seed: ${seed} is not an integer`);
  const startedMs = performance.now();
  const bar = progressBar();
  const result = await importSd15(out, {
    dtype,
    exporter,
    operators,
    ...(tokenizer === undefined ? {} : { tokenizerDir: tokenizer }),
    ...(seedValue === undefined ? {} : { seed: seedValue }),
    ...(fromDiffusers === undefined ? {} : { fromDiffusers }),
    ...(fromCheckpoint === undefined ? {} : { fromCheckpoint }),
    ...(loras.length === 0 ? {} : { loras }),
    controlnet: values["with-cnet"],
    ...(loraInputs === undefined ? {} : { loraInputs }),
    onProgress: bar.update,
  }).catch((error: unknown) => {
    bar.done();
    fail(error instanceof Error ? error.message : String(error));
  });
  bar.done();
  const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  const source = fromDiffusers ?? fromCheckpoint;
  const merged = loras.map((l) => `${l.path} at ${l.scale}`).join(", ");
  const weights =
    source === undefined
      ? "random weights"
      : `weights from ${source}${merged === "" ? "" : ` with LoRA ${merged}`}`;
  console.log(`built SD 1.5 (${dtype}, ${operators} operators, ${weights}) in ${result.dir} (${seconds} s):`);
  for (const [network, parameters] of Object.entries(result.parameters))
    console.log(`  ${network}: ${parameters.toLocaleString("en")} parameters`);
  if (result.tokenizerDir === undefined)
    console.log("  tokenizer: the tiny stand-in vocabulary (pass --tokenizer DIR for CLIP's)");
  else console.log(`  tokenizer: vocab.json and merges.txt from ${result.tokenizerDir}`);
  warnUnused(result, "SD 1.5");
}

/** What a checkpoint import left unread, and the LoRA adapters it could not merge, on stderr. */
function warnUnused(
  result: { unusedCheckpointTensors: string[]; unmatchedLoraAdapters: string[] },
  model: string,
) {
  if (result.unusedCheckpointTensors.length > 0)
    console.warn(
      `warning: ${result.unusedCheckpointTensors.length} checkpoint tensors unused (position_ids, an EMA copy and the noise schedule are expected):\n  ${summarizeUnusedTensors(result.unusedCheckpointTensors).join("\n  ")}`,
    );
  if (result.unmatchedLoraAdapters.length > 0)
    console.warn(
      `warning: ${result.unmatchedLoraAdapters.length} LoRA adapters matched no ${model} weight and were not merged:\n  ${summarizeUnusedTensors(result.unmatchedLoraAdapters).join("\n  ")}`,
    );
}

/**
 * `sdxl`, `sdxl-refiner` or `sd15` for a single-file checkpoint (by its tensor names) or a diffusers
 * folder (by its model_index.json and text encoders), `sd15` without either.
 */
function checkpointArchitecture(path: string | undefined, folder: string | undefined): string {
  if (folder !== undefined) return detectDiffusersArchitecture(folder);
  if (path === undefined) return "sd15";
  try {
    return detectCheckpointArchitecture(path);
  } catch (error) {
    fail(`--from-checkpoint: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** SDXL base or, with `refiner`, the refiner: random, or a checkpoint's weights. */
async function buildSdxl(refiner: boolean): Promise<void> {
  const { dtype, out, tokenizer, seed, operators, "lora-inputs": loraInputs } = values;
  const { "from-diffusers": fromDiffusers, "from-checkpoint": fromCheckpoint } = values;
  if (out === undefined) fail("--full-size needs --out DIR");
  if (dtype !== "float16" && dtype !== "float32") fail(`--dtype: ${dtype} is not float16 or float32`);
  const seedValue = seed === undefined ? undefined : Number(seed);
  if (seedValue !== undefined && !Number.isSafeInteger(seedValue)) fail(`--seed: ${seed} is not an integer`);
  const loras = (values.lora ?? []).map(parseLoraSpec);
  const startedMs = performance.now();
  const bar = progressBar();
  const options: SdxlFullSizeOptions = {
    dtype,
    // checkFullSizeOptions names a bad --operators or --lora-inputs value
    operators: operators as OperatorSet,
    ...(tokenizer === undefined ? {} : { tokenizerDir: tokenizer }),
    ...(seedValue === undefined ? {} : { seed: seedValue }),
    ...(loraInputs === undefined ? {} : { loraInputs: loraInputs as LoraInputLayers }),
    onProgress: bar.update,
  };
  const source = fromDiffusers ?? fromCheckpoint;
  const sources = {
    ...(fromDiffusers === undefined ? {} : { fromDiffusers }),
    ...(fromCheckpoint === undefined ? {} : { fromCheckpoint }),
    ...(loras.length === 0 ? {} : { loras }),
  };
  const random = { unusedCheckpointTensors: [], unmatchedLoraAdapters: [] };
  const build: Promise<{
    dir: string;
    parameters: Record<string, number>;
    unusedCheckpointTensors: string[];
    unmatchedLoraAdapters: string[];
  }> = refiner
    ? source === undefined
      ? buildSdxlRefinerFullSize(out, options).then((built) => ({ ...built, ...random }))
      : importSdxlRefiner(out, { ...options, ...sources })
    : source === undefined
      ? buildSdxlFullSize(out, options).then((built) => ({ ...built, ...random }))
      : importSdxl(out, { ...options, ...sources });
  const result = await build.catch((error: unknown) => {
    bar.done();
    // the options' names as the flags give them
    const message = error instanceof Error ? error.message : String(error);
    fail(message.replace(/^options\.loras\b/, "--lora").replace(/^options\.(\w+)/, "--$1"));
  });
  bar.done();
  const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  const merged = loras.map((l) => `${l.path} at ${l.scale}`).join(", ");
  const weights =
    source === undefined
      ? "random weights"
      : `weights from ${source}${merged === "" ? "" : ` with LoRA ${merged}`}`;
  console.log(
    `built SDXL ${refiner ? "refiner" : "base"} (${dtype}, ${operators} operators, ${weights}) in ${result.dir} (${seconds} s):`,
  );
  for (const [network, parameters] of Object.entries(result.parameters))
    console.log(`  ${network}: ${parameters.toLocaleString("en")} parameters`);
  warnUnused(result, "SDXL");
}

async function buildControlNet(source: string): Promise<void> {
  const { dtype, out, operators, seed, "controlnet-base": base } = values;
  if (out === undefined) fail("--controlnet needs --out DIR (the engine reads <model>/controlnet/<name>)");
  if (dtype !== "float16" && dtype !== "float32") fail(`--dtype: ${dtype} is not float16 or float32`);
  if (operators !== "standard" && operators !== "fused")
    fail(`--operators: ${operators} is not standard or fused`);
  const seedValue = seed === undefined ? undefined : Number(seed);
  if (seedValue !== undefined && !Number.isSafeInteger(seedValue)) fail(`--seed: ${seed} is not an integer`);
  const startedMs = performance.now();
  const bar = progressBar();
  const onProgress = (bytesDone: number, bytesTotal: number) =>
    bar.update({ network: "controlnet", bytesDone, bytesTotal });
  const build =
    source === "random"
      ? buildSd15ControlNetFullSize(out, {
          dtype,
          operators,
          ...(seedValue === undefined ? {} : { seed: seedValue }),
          onProgress,
        }).then((result) => ({ ...result, difference: false, unusedTensors: [] as string[] }))
      : importControlNet(out, {
          from: source,
          dtype,
          operators,
          onProgress,
          ...(base === undefined ? {} : { base }),
        });
  const result = await build.catch((error: unknown) => {
    bar.done();
    fail(error instanceof Error ? error.message : String(error));
  });
  bar.done();
  const seconds = ((performance.now() - startedMs) / 1000).toFixed(1);
  const weights =
    source === "random"
      ? "random weights"
      : `weights from ${source}${result.difference ? ` plus ${base}'s UNet` : ""}`;
  console.log(
    `built a ControlNet (${dtype}, ${operators} operators, ${weights}) in ${result.dir} (${seconds} s): ${result.parameters.toLocaleString("en")} parameters`,
  );
  if (result.unusedTensors.length > 0)
    console.warn(
      `warning: ${result.unusedTensors.length} tensors of the file unused:\n  ${summarizeUnusedTensors(result.unusedTensors).join("\n  ")}`,
    );
}

async function buildTiny(): Promise<void> {
  const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
  const cacheDir = resolve(positionals[0] ?? resolve(repoRoot, ".sdgate/models"));
  const variants: TinyModelOptions[] = [{}];
  if (values["all-tiny"]) {
    for (const family of TINY_FAMILIES)
      for (const exporter of ["diffusers", "optimum"] as const)
        for (const dtype of ["float32", "float16"] as const)
          for (const externalData of [false, true]) {
            if (exporter === "diffusers" && defaultExporter(family) === "optimum") continue;
            variants.push({ family, exporter, dtype, externalData });
          }
    variants.push({ controlnet: true }, { family: "sdxl", controlnet: true });
    console.log(`tiny ControlNet: ${await ensureTinyControlNet(cacheDir, "tiny")}`);
    console.log(`tiny SDXL ControlNet: ${await ensureTinyControlNet(cacheDir, "tiny-sdxl", 1, "sdxl")}`);
  }
  for (const options of variants) {
    const startedMs = performance.now();
    const result = await ensureTinyModelDetailed(cacheDir, options);
    const elapsedMs = Math.round(performance.now() - startedMs);
    console.log(`${result.built ? "built" : "up to date:"} ${result.dir} (${elapsedMs} ms)`);
  }
}

/** A one-line bar redrawn at most ten times a second on a terminal, one line per network otherwise. */
function progressBar() {
  const width = 30;
  let lastDrawMs = 0;
  let lastNetwork = "";
  const gb = (bytes: number) => (bytes / 1e9).toFixed(2);
  return {
    update({ network, bytesDone, bytesTotal }: { network: string; bytesDone: number; bytesTotal: number }) {
      const now = performance.now();
      const finished = bytesDone === bytesTotal;
      if (!process.stderr.isTTY) {
        if (network !== lastNetwork) process.stderr.write(`writing ${network}…\n`);
        lastNetwork = network;
        return;
      }
      if (now - lastDrawMs < 100 && !finished) return;
      lastDrawMs = now;
      const filled = Math.round((bytesDone / bytesTotal) * width);
      const percent = ((100 * bytesDone) / bytesTotal).toFixed(0).padStart(3);
      process.stderr.write(
        `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${percent}% ${gb(bytesDone)}/${gb(bytesTotal)} GB ${network.padEnd(12)}`,
      );
    },
    done() {
      if (process.stderr.isTTY) process.stderr.write("\n");
    },
  };
}

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
