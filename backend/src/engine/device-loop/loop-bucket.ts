import type { IoBinding } from "../../native-ort/io-binding.ts";
import type { NativeSession } from "../../native-ort/session.ts";
import type { NativeTensor } from "../../native-ort/tensor.ts";
import { STEP_COLUMN_COUNT } from "./linear-step.ts";
import { timestepDims, type UNetSignature } from "./unet-signature.ts";

/** What fixes a bucket's buffers: a CUDA graph replays on the addresses it captured, so each shape has its own. */
export interface BucketShape {
  /** N: prompts after the unconditional one (0: unguided). */
  readonly conds: number;
  /** Images, and the latent's channels, height and width. */
  readonly latentDims: readonly [number, number, number, number];
  readonly steps: number;
  readonly noise: boolean;
  /** The token count and width of the text conditioning, and each constant input's width. */
  readonly contextDims: readonly [number, number];
  readonly constantWidths: Readonly<Record<string, number>>;
}

export function bucketKey(shape: BucketShape): string {
  return JSON.stringify(shape);
}

/**
 * One bucket's device tensors and IO bindings, made once and reused by every generation of that shape:
 * the UNet reads `modelInput`/`timestep`/`context` and writes `noisePred`; the step graph reads those
 * and one of two (sample, state, step) triples and writes the other, so step k binds triple k mod 2 as
 * input: two bindings, two captured graphs, no copy between steps. The last step leaves `vaeInput`
 * ready for the VAE.
 */
export class LoopBucket implements Disposable {
  readonly shape: BucketShape;
  readonly tensors: Record<string, NativeTensor> = {};
  readonly unetBinding: IoBinding;
  /** Step k runs `stepBindings[k % 2]`. */
  readonly stepBindings: readonly [IoBinding, IoBinding];
  /** The CUDA graph ids of this bucket: the UNet's, and the step graph's for each parity. */
  readonly graphIds: { unet: number; step: readonly [number, number] };

  constructor(
    unet: NativeSession,
    step: NativeSession,
    signature: UNetSignature,
    shape: BucketShape,
    id: number,
  ) {
    this.shape = shape;
    const [batch, channels, height, width] = shape.latentDims;
    const rows = (1 + shape.conds) * batch;
    const latent = [batch, channels, height, width];
    const t = this.tensors;
    const device = (name: string, type: NativeTensor["type"], dims: number[]) => {
      t[name] = unet.deviceTensor(type, dims);
      return t[name];
    };
    try {
      device("modelInput", signature.sample.type ?? "float32", [rows, channels, height, width]);
      device("timestep", signature.timestep.type ?? "float32", timestepDims(signature, rows));
      device("context", signature.context.type ?? "float32", [rows, ...shape.contextDims]);
      for (const info of signature.constants) {
        device(info.name, info.type ?? "float32", [rows, shape.constantWidths[info.name] ?? 0]);
      }
      device("noisePred", signature.output.type ?? "float32", [rows, channels, height, width]);
      for (const parity of [0, 1]) {
        device(`sample${parity}`, "float32", latent);
        device(`state${parity}`, "float32", latent);
        device(`step${parity}`, "int64", [1]);
      }
      device("coefficients", "float32", [shape.steps, STEP_COLUMN_COUNT]);
      if (shape.noise) device("noise", "float32", [shape.steps, ...latent]);
      if (shape.conds > 0) device("condWeights", "float32", [shape.conds]);
      device("denoised", "float32", latent);
      device("vaeInput", signature.vaeInput?.type ?? "float32", latent);
      this.unetBinding = unet
        .bind()
        .bindInput("sample", t.modelInput as NativeTensor)
        .bindInput("timestep", t.timestep as NativeTensor)
        .bindInput("encoder_hidden_states", t.context as NativeTensor)
        .bindOutput(signature.output.name, t.noisePred as NativeTensor);
      for (const info of signature.constants)
        this.unetBinding.bindInput(info.name, t[info.name] as NativeTensor);
      this.stepBindings = [this.#bindStep(step, 0), this.#bindStep(step, 1)];
    } catch (error) {
      this.release();
      throw error;
    }
    this.graphIds = { unet: id, step: [2 * id, 2 * id + 1] };
  }

  release(): void {
    this.unetBinding?.release();
    for (const binding of this.stepBindings ?? []) binding.release();
    for (const tensor of Object.values(this.tensors)) tensor.release();
  }

  [Symbol.dispose](): void {
    this.release();
  }

  #bindStep(step: NativeSession, parity: 0 | 1): IoBinding {
    const t = this.tensors as Record<string, NativeTensor>;
    const next = 1 - parity;
    const binding = step
      .bind()
      .bindInput("noise_pred", t.noisePred as NativeTensor)
      .bindInput("sample", t[`sample${parity}`] as NativeTensor)
      .bindInput("state", t[`state${parity}`] as NativeTensor)
      .bindInput("step", t[`step${parity}`] as NativeTensor)
      .bindInput("coefficients", t.coefficients as NativeTensor)
      .bindOutput("next_sample", t[`sample${next}`] as NativeTensor)
      .bindOutput("next_state", t[`state${next}`] as NativeTensor)
      .bindOutput("next_step", t[`step${next}`] as NativeTensor)
      .bindOutput("model_input", t.modelInput as NativeTensor)
      .bindOutput("timestep", t.timestep as NativeTensor)
      .bindOutput("denoised", t.denoised as NativeTensor)
      .bindOutput("vae_input", t.vaeInput as NativeTensor);
    if (t.noise !== undefined) binding.bindInput("noise", t.noise);
    if (t.condWeights !== undefined) binding.bindInput("cond_weights", t.condWeights);
    return binding;
  }
}
