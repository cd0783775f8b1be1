import { describe, expect, it } from "vitest";
import { buildControlNet } from "./controlnet.ts";
import { sd15ControlNet, sd15UNet } from "./sd15-architecture.ts";
import type { TensorRecord, TensorSink } from "./tensor-sink.ts";
import { buildUNet2DCondition } from "./unet-2d-condition.ts";
import { WeightSource } from "./weights.ts";

/** Parameters per tensor name of a graph, counted without making a weight. */
function parameterCounts(build: (sink: TensorSink) => void): Map<string, number> {
  const counts = new Map<string, number>();
  build({
    store: (tensor: TensorRecord) => {
      if (tensor.kind === "parameter")
        counts.set(
          tensor.name,
          tensor.dims.reduce((a, b) => a * b, 1),
        );
      return {};
    },
  });
  return counts;
}
const sum = (values: Iterable<number>) => [...values].reduce((a, b) => a + b, 0);
const conv = (cin: number, cout: number, kernel: number) => cout * cin * kernel * kernel + cout;

describe("the full-size SD 1.5 ControlNet", () => {
  it("has the UNet's encoder plus 1,086,480 embedding and 11,479,680 zero-convolution parameters: 361,279,120", () => {
    const weights = new WeightSource(1);
    const controlnet = parameterCounts((sink) => buildControlNet(weights, sd15ControlNet(), {}, { sink }));
    const unet = parameterCounts((sink) => buildUNet2DCondition(weights, sd15UNet(), {}, { sink }));
    // The encoder is every UNet tensor but the decoder's (up blocks, output norm and conv).
    const encoder = [...unet].filter(([name]) => !/^(up_blocks|conv_norm_out|conv_out)\./.test(name));
    for (const [name, count] of encoder) expect(controlnet.get(name), name).toBe(count);
    const embedding =
      conv(3, 16, 3) +
      conv(16, 16, 3) +
      conv(16, 32, 3) +
      conv(32, 32, 3) +
      conv(32, 96, 3) +
      conv(96, 96, 3) +
      conv(96, 256, 3) +
      conv(256, 320, 3);
    const zeroConvs = [320, 320, 320, 320, 640, 640, 640, 1280, 1280, 1280, 1280, 1280, 1280];
    expect(embedding).toBe(1_086_480);
    expect(sum(zeroConvs.map((c) => conv(c, c, 1)))).toBe(11_479_680);
    expect(controlnet.size).toBe(encoder.length + 2 * (8 + zeroConvs.length));
    // 2 bytes each in float16: 722.6 MB, the size of lllyasviel's fp16 SD 1.5 ControlNet files.
    expect(sum(controlnet.values())).toBe(sum(encoder.map(([, c]) => c)) + embedding + 11_479_680);
    expect(sum(controlnet.values())).toBe(361_279_120);
  });
});
