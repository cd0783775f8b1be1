import onnx from "onnx-proto";

/**
 * The ControlNet's own layers written out in plain loops (float64), for holding a built graph to:
 * diffusers' `ControlNetConditioningEmbedding` (models/controlnets/controlnet.py) and the 1×1 zero
 * convolutions, on weights read by their diffusers names from the graph's initializers. Slow; for
 * reduced sizes. `exposeValues` makes a graph's inner values (a convolution's input, say) outputs, so a
 * test can feed the reference what the graph saw.
 */

/** An NCHW (or any row-major) tensor. */
export interface ReferenceTensor {
  dims: number[];
  data: Float32Array;
}

/** The float32 initializers of a standard-operator, inline-weight model, by name. */
export function readInitializers(model: Uint8Array): Map<string, ReferenceTensor> {
  const tensors = new Map<string, ReferenceTensor>();
  for (const init of onnx.onnx.ModelProto.decode(model).graph?.initializer ?? []) {
    if (init.dataType !== 1 || init.rawData === null || init.rawData === undefined) continue;
    const raw = init.rawData;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const data = new Float32Array(raw.byteLength / 4);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat32(4 * i, true);
    tensors.set(init.name ?? "", { dims: (init.dims ?? []).map(Number), data });
  }
  return tensors;
}

/** `model` with `values` (names of values inside its graph) declared as extra float outputs. */
export function exposeValues(model: Uint8Array, values: readonly string[]): Uint8Array {
  const proto = onnx.onnx.ModelProto.decode(model);
  const graph = proto.graph;
  if (!graph) throw new Error("model has no graph");
  for (const name of values) graph.output?.push({ name, type: { tensorType: { elemType: 1 } } });
  return onnx.onnx.ModelProto.encode(proto).finish();
}

/** The name of the value a node feeds into the parameter `weight` (e.g. a Conv's input). */
export function inputBeside(model: Uint8Array, weight: string): string {
  const node = onnx.onnx.ModelProto.decode(model).graph?.node?.find((n) => n.input?.includes(weight));
  const input = node?.input?.[0];
  if (input === undefined) throw new Error(`no node reads ${weight}`);
  return input;
}

/** The other input of the Add node that reads `value` (e.g. the skip a residual input is added to). */
export function addendOf(model: Uint8Array, value: string): string {
  const node = onnx.onnx.ModelProto.decode(model).graph?.node?.find(
    (n) => n.opType === "Add" && n.input?.includes(value),
  );
  const other = node?.input?.find((input) => input !== value);
  if (other === undefined) throw new Error(`no Add reads ${value}`);
  return other;
}

/** The output of the node that reads the parameter `weight`. */
export function outputOf(model: Uint8Array, weight: string): string {
  const node = onnx.onnx.ModelProto.decode(model).graph?.node?.find((n) => n.input?.includes(weight));
  const output = node?.output?.[0];
  if (output === undefined) throw new Error(`no node reads ${weight}`);
  return output;
}

/** `nn.Conv2d` with zero padding `pad` on every side, torch's [out, in, kH, kW] weight, NCHW input. */
export function conv2dReference(
  x: ReferenceTensor,
  weight: ReferenceTensor,
  bias: ReferenceTensor,
  stride: number,
  pad: number,
): ReferenceTensor {
  const [n, cin, h, w] = x.dims as [number, number, number, number];
  const [cout, wcin, kh, kw] = weight.dims as [number, number, number, number];
  if (wcin !== cin) throw new Error(`conv: input has ${cin} channels, weight wants ${wcin}`);
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / stride) + 1;
  const out = new Float32Array(n * cout * oh * ow);
  for (let b = 0; b < n; b++)
    for (let o = 0; o < cout; o++)
      for (let y = 0; y < oh; y++)
        for (let xo = 0; xo < ow; xo++) {
          let sum = bias.data[o] as number;
          for (let c = 0; c < cin; c++)
            for (let dy = 0; dy < kh; dy++) {
              const iy = y * stride + dy - pad;
              if (iy < 0 || iy >= h) continue;
              for (let dx = 0; dx < kw; dx++) {
                const ix = xo * stride + dx - pad;
                if (ix < 0 || ix >= w) continue;
                sum +=
                  (weight.data[((o * cin + c) * kh + dy) * kw + dx] as number) *
                  (x.data[((b * cin + c) * h + iy) * w + ix] as number);
              }
            }
          out[((b * cout + o) * oh + y) * ow + xo] = sum;
        }
  return { dims: [n, cout, oh, ow], data: out };
}

export function siluReference(x: ReferenceTensor): ReferenceTensor {
  return { dims: x.dims, data: x.data.map((v) => v / (1 + Math.exp(-v))) };
}

export function addReference(a: ReferenceTensor, b: ReferenceTensor): ReferenceTensor {
  if (a.dims.join() !== b.dims.join()) throw new Error(`add: [${a.dims}] and [${b.dims}]`);
  return { dims: a.dims, data: a.data.map((v, i) => v + (b.data[i] as number)) };
}

/**
 * `nn.Conv2d` named `name` in diffusers' state dict (`<name>.weight`, `<name>.bias`), its padding
 * half the kernel as every SD convolution has it.
 */
export function namedConv(
  weights: ReadonlyMap<string, ReferenceTensor>,
  x: ReferenceTensor,
  name: string,
  stride = 1,
): ReferenceTensor {
  const weight = weights.get(`${name}.weight`);
  const bias = weights.get(`${name}.bias`);
  if (weight === undefined || bias === undefined) throw new Error(`no weights for ${name}`);
  return conv2dReference(x, weight, bias, stride, Math.floor((weight.dims[2] as number) / 2));
}

/**
 * `ControlNetConditioningEmbedding.forward`: conv_in, SiLU, then for each block a convolution and SiLU
 * (blocks 1, 3, 5 with stride 2), then conv_out, with no activation after it.
 */
export function conditioningEmbeddingReference(
  weights: ReadonlyMap<string, ReferenceTensor>,
  image: ReferenceTensor,
  blocks = 6,
): ReferenceTensor {
  const name = "controlnet_cond_embedding";
  let h = siluReference(namedConv(weights, image, `${name}.conv_in`));
  for (let i = 0; i < blocks; i++)
    h = siluReference(namedConv(weights, h, `${name}.blocks.${i}`, i % 2 === 1 ? 2 : 1));
  return namedConv(weights, h, `${name}.conv_out`);
}

/**
 * The values a ControlNet's zero convolutions read (its encoder's skips, then its mid block's output)
 * and, in the same order, the skips a residual UNet adds its `down_block_<i>` / mid residual inputs to.
 */
export function pairedSkips(
  controlnet: Uint8Array,
  unet: Uint8Array,
  downCount: number,
): { control: string[]; unet: string[] } {
  const down = Array.from({ length: downCount }, (_, i) => i);
  return {
    control: [...down.map((i) => `controlnet_down_blocks.${i}.weight`), "controlnet_mid_block.weight"].map(
      (weight) => inputBeside(controlnet, weight),
    ),
    unet: [...down.map((i) => `down_block_${i}`), "mid_block_additional_residual"].map((input) =>
      addendOf(unet, input),
    ),
  };
}
