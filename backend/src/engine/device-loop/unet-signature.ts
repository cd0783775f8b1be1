import type { GuidedStepOptions, TimestepTypeName } from "../../model-builder/guided-step-graph.ts";
import type { ElementType } from "../../native-ort/element-type.ts";
import type { NativeSession, TensorInfo } from "../../native-ort/session.ts";
import { ModelLoadError } from "../errors.ts";

/** The inputs the device loop feeds a UNet; any other input (LoRA adapters, ControlNet residuals) keeps it on the host loop. */
const UNET_INPUTS = [
  "sample",
  "timestep",
  "encoder_hidden_states",
  "text_embeds",
  "time_ids",
  "timestep_cond",
];

/** What the device loop must know of a UNet and a VAE decoder to build their step graph and buffers. */
export interface UNetSignature {
  readonly sample: TensorInfo;
  readonly timestep: TensorInfo;
  readonly context: TensorInfo;
  readonly output: TensorInfo;
  /** SDXL's `text_embeds`/`time_ids`, LCM's `timestep_cond`: constant over a generation. */
  readonly constants: readonly TensorInfo[];
  readonly vaeInput: TensorInfo | undefined;
}

export function readUNetSignature(unet: NativeSession, vae: NativeSession | undefined): UNetSignature {
  const file = "unet/model.onnx";
  for (const input of unet.inputs) {
    if (!UNET_INPUTS.includes(input.name)) {
      throw new ModelLoadError(
        `${file}: ${input.name}`,
        "is an input the device loop does not feed (use the host loop)",
      );
    }
  }
  const output = unet.outputs.find((info) => info.name === "out_sample") ?? unet.outputs[0];
  if (output === undefined) throw new ModelLoadError(file, "has no output");
  const signature = {
    sample: unet.input("sample"),
    timestep: unet.input("timestep"),
    context: unet.input("encoder_hidden_states"),
    output,
    constants: unet.inputs.filter((info) => ["text_embeds", "time_ids", "timestep_cond"].includes(info.name)),
    vaeInput: vae?.input("latent_sample"),
  };
  for (const info of [signature.sample, signature.output, signature.context, ...signature.constants])
    floatType(info);
  return signature;
}

/** The step graph's options for this UNet and VAE, `conds` prompts and a noise table or not. */
export function stepGraphOptions(
  signature: UNetSignature,
  conds: number,
  noise: boolean,
  scalingFactor: number,
): GuidedStepOptions {
  const dims = signature.timestep.dims;
  return {
    conds,
    noise,
    predictionType: graphFloat(floatType(signature.output)),
    modelInputType: graphFloat(floatType(signature.sample)),
    timestepType: timestepType(signature.timestep),
    timestepShape: dims.length === 0 ? "scalar" : dims[0] === 1 ? "one" : "batch",
    vaeInputType: graphFloat(signature.vaeInput === undefined ? "float32" : floatType(signature.vaeInput)),
    scalingFactor,
  };
}

/** The timestep tensor's dims for `rows` UNet rows, as the UNet declares them. */
export function timestepDims(signature: UNetSignature, rows: number): number[] {
  const dims = signature.timestep.dims;
  return dims.length === 0 ? [] : dims[0] === 1 ? [1] : [rows];
}

function floatType(info: TensorInfo): "float32" | "float16" {
  if (info.type !== "float32" && info.type !== "float16") {
    throw new ModelLoadError(
      `unet/model.onnx: ${info.name}`,
      `has type ${info.type}; expected float32 or float16`,
    );
  }
  return info.type;
}

function graphFloat(type: "float32" | "float16"): "float" | "float16" {
  return type === "float32" ? "float" : "float16";
}

function timestepType(info: TensorInfo): TimestepTypeName {
  const types: Partial<Record<ElementType, TimestepTypeName>> = {
    float32: "float",
    float16: "float16",
    int64: "int64",
    int32: "int32",
  };
  const type = info.type === undefined ? undefined : types[info.type];
  if (type === undefined) throw new ModelLoadError(`unet/model.onnx: ${info.name}`, `has type ${info.type}`);
  return type;
}
