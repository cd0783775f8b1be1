import { SDXL_STEP_FLOP_RATIO } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { UNET_TFLOP_PER_PASS_512 } from "./flops.ts";
import { SDXL_UNET, sd15UnetFlops, type UnetFlops, unetFlops } from "./unet-flops.ts";

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

  it("refuses a latent that three halvings cannot divide", () => {
    expect(() => sd15UnetFlops(60)).toThrow(/multiple of 8/);
    expect(() => sd15UnetFlops(0)).toThrow(/multiple of 8/);
  });
});

describe("SDXL UNet FLOPs", () => {
  it("counts SDXL's 1024×1024 pass at 6.76 TFLOP, the 8.42× SD 1.5's 512×512 pass the rate table prices SDXL by", () => {
    const total = (f: UnetFlops) => f.conv + f.linear + f.attention;
    const sdxl = total(unetFlops(SDXL_UNET, 128));
    expect(sdxl / 1e12).toBeCloseTo(6.76, 2);
    expect(sdxl / total(sd15UnetFlops(64))).toBeCloseTo(SDXL_STEP_FLOP_RATIO, 2);
    // three levels: SDXL's latent needs only two halvings
    expect(() => unetFlops(SDXL_UNET, 30)).toThrow(/multiple of 4/);
  });
});
