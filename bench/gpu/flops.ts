import { sdxlUNet } from "../../backend/src/model-builder/sdxl-architecture.ts";
import { type UnetFlops, unetFlops } from "./unet-flops.ts";

/**
 * The arithmetic of one SD 1.5 image, from issue 7's anchors: 0.80 TFLOP per UNet pass at 512×512
 * (64×64 latents), two passes per step for classifier-free guidance, plus the VAE decoder (about
 * 3 TFLOP at 512×512: the issue's 83 TFLOP per image less the UNet's 80). Both scale with the pixel
 * count; the text encoder (≈0.01 TFLOP) is left out.
 */
export const UNET_TFLOP_PER_PASS_512 = 0.8;
export const VAE_DECODE_TFLOP_512 = 3;

/** Dense fp16 tensor-core peaks (NVIDIA's datasheets; the H200 has the H100's SXM compute). */
export const PEAK_FP16_TFLOPS: Record<string, number> = { H100: 989, H200: 989 };

export type BenchArchitecture = "sd15" | "sdxl";

/**
 * TFLOP for `images` images of `sizePx`² with `steps` CFG steps (two UNet passes each). SDXL's UNet
 * pass is counted layer by layer at the latent's size (unet-flops.ts: 6.76 TFLOP at 1024×1024); its
 * VAE decoder is SD 1.5's architecture, so costs the same per pixel.
 */
export function imageTflop(
  sizePx: number,
  steps: number,
  images = 1,
  cfg = true,
  architecture: BenchArchitecture = "sd15",
): number {
  const area = (sizePx * sizePx) / (512 * 512);
  const unetPass =
    architecture === "sd15"
      ? area * UNET_TFLOP_PER_PASS_512
      : totalFlops(unetFlops(sdxlUNet(), sizePx / 8)) / 1e12;
  return images * (steps * (cfg ? 2 : 1) * unetPass + area * VAE_DECODE_TFLOP_512);
}

const totalFlops = (f: UnetFlops) => f.conv + f.linear + f.attention;

/** The GPU's dense fp16 peak from its name (`nvidia-smi --query-gpu=name`), if known. */
export function peakTflops(gpuName: string | undefined): number | undefined {
  if (gpuName === undefined) return undefined;
  const key = Object.keys(PEAK_FP16_TFLOPS).find((k) => gpuName.includes(k));
  return key === undefined ? undefined : PEAK_FP16_TFLOPS[key];
}
