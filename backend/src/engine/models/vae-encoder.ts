import { ModelLoadError } from "../errors.ts";
import {
  findInput,
  findOutputName,
  floatTensor,
  type LoadedSession,
  outputData,
  requireFloat,
  type TensorMetadata,
} from "./onnx-session.ts";

/**
 * What the encoder gives: `latent_sample` (diffusers' conversion script, already sampled in the graph)
 * or `latent_parameters` (optimum: the mean and log-variance, `[1, 2c, h, w]`, sampled by the pipeline
 * with its generator as diffusers' `DiagonalGaussianDistribution.sample` does).
 */
export type VaeEncoding =
  | { kind: "sample"; latents: Float32Array }
  | { kind: "parameters"; parameters: Float32Array };

/** The VAE encoder session: an image `[1, 3, H, W]` in [-1, 1] in, latents out. */
export class VaeEncoderSession {
  readonly #loaded: LoadedSession;
  readonly #image: TensorMetadata;
  readonly #output: string;
  readonly kind: VaeEncoding["kind"];

  constructor(loaded: LoadedSession) {
    this.#loaded = loaded;
    this.#image = findInput(loaded, ["sample"]);
    requireFloat(loaded, this.#image);
    this.#output = findOutputName(loaded, ["latent_parameters", "latent_sample"]);
    this.kind = this.#output === "latent_parameters" ? "parameters" : "sample";
  }

  async encode(image: Float32Array, height: number, width: number): Promise<VaeEncoding> {
    const feeds = { [this.#image.name]: floatTensor(this.#image, image, [1, 3, height, width]) };
    const results = await this.#loaded.session.run(feeds, [this.#output]);
    const { data, dims } = outputData(this.#loaded, results, this.#output);
    if (dims.length !== 4 || dims[2] !== height / 8 || dims[3] !== width / 8) {
      throw new ModelLoadError(
        `${this.#loaded.file}: ${this.#output}`,
        `has shape [${dims}] for a ${width}×${height} image, expected [1, c, ${height / 8}, ${width / 8}]`,
      );
    }
    return this.kind === "parameters"
      ? { kind: "parameters", parameters: data }
      : { kind: "sample", latents: data };
  }
}
