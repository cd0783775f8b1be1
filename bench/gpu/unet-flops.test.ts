import { SDXL_REFINER_STEP_FLOP_RATIO, SDXL_STEP_FLOP_RATIO } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { sd15UNet } from "../../backend/src/model-builder/sd15-architecture.ts";
import { sdxlUNet } from "../../backend/src/model-builder/sdxl-architecture.ts";
import { sdxlRefinerUNet } from "../../backend/src/model-builder/sdxl-refiner-architecture.ts";
import { UNET_TFLOP_PER_PASS_512 } from "./flops.ts";
import { sd15UnetFlops, unetFlops } from "./unet-flops.ts";

describe("SD 1.5 UNet FLOPs, layer by layer", () => {
  it("adds up to issue 7's 0.80 TFLOP per 512×512 pass", () => {
    const f = sd15UnetFlops(64);
    const total = (f.conv + f.linear + f.attention) / 1e12;
    expect(total).toBeGreaterThan(UNET_TFLOP_PER_PASS_512 * 0.99);
    expect(total).toBeLessThan(UNET_TFLOP_PER_PASS_512 * 1.01);
    // convolutions carry most of it, then the projections, then attention
    expect(f.conv).toBeGreaterThan(f.linear);
    expect(f.linear).toBeGreaterThan(f.attention);
  });

  it("scales convolutions and projections with the area, self-attention with its square", () => {
    const small = sd15UnetFlops(32);
    const large = sd15UnetFlops(64);
    expect(large.conv / small.conv).toBe(4);
    // text K/V and the time embedding do not grow with the latent
    expect(large.linear / small.linear).toBeGreaterThan(3.8);
    expect(large.linear / small.linear).toBeLessThan(4);
    expect(large.attention / small.attention).toBeGreaterThan(12);
    expect(large.attention / small.attention).toBeLessThan(16);
  });

  it("counts SDXL's UNet from its config: 6.76 TFLOP per 1024×1024 pass, most of it in its ten-block transformers", () => {
    const f = unetFlops(sdxlUNet(), 128);
    expect((f.conv + f.linear + f.attention) / 1e12).toBeCloseTo(6.761, 3);
    // SDXL spends its FLOPs in Linears: the projections and feed-forwards of 70 transformer blocks
    expect(f.linear).toBeGreaterThan(2.5 * f.conv);
    // the top level has no attention, so self-attention grows far less than SD 1.5's with the latent
    const small = unetFlops(sdxlUNet(), 64);
    expect(f.attention / small.attention).toBeLessThan(16);
    expect(f.conv / small.conv).toBe(4);
    // two halvings: a latent of 4 is enough; SD 1.5 (three) refuses it
    expect(() => unetFlops(sdxlUNet(), 4)).not.toThrow();
    expect(() => unetFlops(sd15UNet(), 4)).toThrow(/multiple of 8/);
  });

  it("is 8.42× SD 1.5's 512×512 pass at 1024×1024: the ratio the rate table prices SDXL's step by", () => {
    const total = (f: ReturnType<typeof unetFlops>) => f.conv + f.linear + f.attention;
    expect(total(unetFlops(sdxlUNet(), 128)) / total(sd15UnetFlops(64))).toBeCloseTo(SDXL_STEP_FLOP_RATIO, 2);
  });

  it("refuses a latent that three halvings cannot divide", () => {
    expect(() => sd15UnetFlops(60)).toThrow(/multiple of 8/);
    expect(() => sd15UnetFlops(0)).toThrow(/multiple of 8/);
  });

  it("counts SDXL's refiner at 7.29 TFLOP per 1024×1024 pass, 1.078× the base: the ratio its rate is priced by", () => {
    const total = (f: ReturnType<typeof unetFlops>) => f.conv + f.linear + f.attention;
    const refiner = total(unetFlops(sdxlRefinerUNet(), 128));
    expect(refiner / 1e12).toBeCloseTo(7.286, 3);
    // fewer parameters than the base, more FLOPs: wider at the full latent resolution
    expect(refiner / total(unetFlops(sdxlUNet(), 128))).toBeCloseTo(SDXL_REFINER_STEP_FLOP_RATIO, 3);
  });
});
