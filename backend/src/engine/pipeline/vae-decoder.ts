import { Tensor } from "onnxruntime-node";
import { ModelLoadError } from "../errors.ts";
import {
  findInput,
  findOutputName,
  type LoadedSession,
  outputData,
  requireFloat32,
  type TensorMetadata,
} from "./onnx-session.ts";

/** The VAE decoder session: scaled latents in, an image in [-1, 1] out. */
export class VaeDecoderSession {
  readonly #loaded: LoadedSession;
  readonly #latent: TensorMetadata;
  readonly #output: string;

  constructor(loaded: LoadedSession) {
    this.#loaded = loaded;
    this.#latent = findInput(loaded, ["latent_sample"]);
    requireFloat32(loaded, this.#latent);
    this.#output = findOutputName(loaded, ["sample"]);
  }

  /** Decode one latent `[1, c, h, w]` to `[1, 3, 8h, 8w]` (the scale factor is read from the output). */
  async decode(
    latent: Float32Array,
    dims: readonly [number, number, number, number],
  ): Promise<{ data: Float32Array; width: number; height: number }> {
    const feeds = { [this.#latent.name]: new Tensor("float32", latent, dims) };
    const results = await this.#loaded.session.run(feeds, [this.#output]);
    const { data, dims: outDims } = outputData(this.#loaded, results, this.#output);
    const [, channels, height, width] = outDims;
    if (outDims.length !== 4 || channels !== 3 || height === undefined || width === undefined) {
      throw new ModelLoadError(
        `${this.#loaded.file}: ${this.#output}`,
        `has shape [${outDims}], expected [1, 3, H, W]`,
      );
    }
    return { data, width, height };
  }
}
