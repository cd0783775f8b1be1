import { ModelLoadError } from "../errors.ts";
import {
  findInput,
  findOutputName,
  fixedDim,
  floatTensor,
  type LoadedSession,
  outputValues,
  requireFloat,
  type TensorMetadata,
} from "./onnx-session.ts";

/** The VAE decoder session: unscaled latents `[1, c, h, w]` in, an image in [-1, 1] out. */
export class VaeDecoderSession {
  readonly #loaded: LoadedSession;
  readonly #latent: TensorMetadata;
  readonly #output: string;

  constructor(loaded: LoadedSession) {
    this.#loaded = loaded;
    this.#latent = findInput(loaded, ["latent_sample"]);
    requireFloat(loaded, this.#latent);
    this.#output = findOutputName(loaded, ["sample"]);
  }

  /** Latent channels when the export fixes them (4 for every SD release). */
  get latentChannels(): number | undefined {
    return fixedDim(this.#latent, 1);
  }

  /**
   * Decode one latent to `[1, 3, H, W]` (the size is read from the output): float32 values, or a
   * float16 decoder's half-precision bits as they came.
   */
  async decode(
    latent: Float32Array,
    dims: readonly [number, number, number, number],
  ): Promise<{ data: Float32Array | Uint16Array; width: number; height: number }> {
    const feeds = { [this.#latent.name]: floatTensor(this.#latent, latent, dims) };
    const results = await this.#loaded.session.run(feeds, [this.#output]);
    // a float16 decoder's bits stay bits: decodedToRgb maps them to bytes without widening
    const { data, dims: outDims } = outputValues(this.#loaded, results, this.#output);
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
