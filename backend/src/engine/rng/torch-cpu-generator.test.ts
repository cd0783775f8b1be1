import { describe, expect, it } from "vitest";
import { createGenerator } from "./torch-generator.ts";

/** torch prints 4 decimals; compare at that precision. */
const fixed4 = (values: Float32Array) => Array.from(values, (v) => Number(v.toFixed(4)));

/** FNV-1a over the float32 bit patterns: equal hashes mean equal bits. */
function bitsHash(values: Float32Array): string {
  let hash = 0x811c9dc5;
  for (const word of new Uint32Array(values.buffer, values.byteOffset, values.length)) {
    hash = Math.imul(hash ^ word, 0x01000193) >>> 0;
  }
  return `0x${hash.toString(16).padStart(8, "0")}`;
}

// torch.manual_seed(0); torch.randn(4, 4) — the tensor printed in torch tutorials everywhere.
const SEED_0_FIRST_16 = [
  -1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.692, -0.316, -2.1152, 0.3223, -1.2633, 0.35, 0.3081, 0.1198,
  1.2377, 1.1168, -0.2473,
];

describe("torch_cpu against values published by torch users (4 decimals)", () => {
  it("matches torch.manual_seed(0); torch.randn(1, 1, 4, 4) from kornia's CenterCrop docstring (16 values)", () => {
    // kornia/kornia, kornia/augmentation/_2d/geometric/center_crop.py, the `Examples:` block.
    expect(fixed4(createGenerator(0).randn([1, 1, 4, 4]))).toEqual(SEED_0_FIRST_16);
  });

  it("matches X = randn(10, 4), W = randn(4, 4), Y = randn(10, 4) after manual_seed(0): successive draws, 40-value tails", () => {
    // A published PyTorch homework write-up ("矩阵求导", 计算机视觉第四次作业) in the public-code index,
    // printing `torch.manual_seed(0); X = torch.randn(10, 4); W = torch.randn(4, 4); Y = torch.randn(10, 4)`.
    // 40 is not a multiple of 16, so X and Y both end with torch's recomputed last 16 values.
    const generator = createGenerator(0);
    expect(fixed4(generator.randn([10, 4]))).toEqual([
      ...SEED_0_FIRST_16,
      -1.3527,
      -1.6959,
      0.5667,
      0.7935,
      0.5988,
      -1.5551,
      -0.3414,
      1.853,
      -0.2159,
      -0.7425,
      0.5627,
      0.2596,
      -0.174,
      -0.6787,
      0.9383,
      0.4889,
      1.2032,
      0.0845,
      -1.2001,
      -0.0048,
      -0.5181,
      -0.3067,
      -1.581,
      1.7066,
    ]);
    expect(fixed4(generator.randn([4, 4]))).toEqual([
      0.2055, -0.4503, -0.5731, -0.5554, 0.5943, 1.5419, 0.5073, -0.591, -1.3253, 0.1886, -0.0691, -0.4949,
      -1.4959, -0.1938, 0.4455, 1.3253,
    ]);
    expect(fixed4(generator.randn([10, 4]))).toEqual([
      1.5091, 2.082, 1.7067, 2.3804, -1.1256, -0.317, -1.0925, -0.0852, 0.3276, -0.7607, -1.5991, 0.0185,
      -0.7504, 0.1854, 0.6211, 0.6382, -0.0033, -0.5344, 1.1687, 0.3945, 1.9415, 0.7915, -0.0203, -0.4372,
      -0.2188, -2.4351, -0.0729, -0.034, 0.9625, 0.3492, -0.9215, -0.0562, -0.6227, -0.4637, 1.9218, -0.4025,
      0.1239, 1.1648, 0.9234, 1.3873,
    ]);
  });

  it("matches randn((3, 3, 3)) then randn(3) after manual_seed(0): a 27-value tail, then the small path", () => {
    // The `get_mini_batches` docstring of the miqsar project (found in the public-code index): batches
    // of `x_train, y_train = randn((3, 3, 3)), randn(3)` after `manual_seed(0)`, shuffled; reordered here.
    const generator = createGenerator(0);
    expect(fixed4(generator.randn([3, 3, 3]))).toEqual([
      -1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.692, -0.316, -2.1152, 0.3223, -1.2633, 0.35, 0.266,
      0.1665, 0.8744, -0.1435, -0.1116, -0.6136, 0.0316, -0.4927, 0.0537, 0.6181, -0.4128, -0.8411, -2.316,
      -0.1023, 0.7924, -0.2897,
    ]);
    expect(fixed4(generator.randn([3]))).toEqual([-0.2251, 2.3466, -1.1088]);
  });

  it("matches manual_seed(0) then three randn(4, 4) (a torch.compile repro printing its inputs)", () => {
    const generator = createGenerator(0);
    expect(fixed4(generator.randn([4, 4]))).toEqual(SEED_0_FIRST_16);
    expect(fixed4(generator.randn([4, 4]))).toEqual([
      -1.3527, -1.6959, 0.5667, 0.7935, 0.5988, -1.5551, -0.3414, 1.853, 0.7502, -0.5855, -0.1734, 0.1835,
      1.3894, 1.5863, 0.9463, -0.8437,
    ]);
    expect(fixed4(generator.randn([4, 4]))).toEqual([
      -0.6136, 0.0316, -0.4927, 0.2484, 0.4397, 0.1124, 0.6408, 0.4412, -0.1023, 0.7924, -0.2897, 0.0525,
      0.5229, 2.3022, -1.4689, -1.5867,
    ]);
  });

  it("matches the < 16 path: 12 values in chatglm.cpp's tests and 8 in kornia's DistributionWithMapper docstring", () => {
    // li-plus/chatglm.cpp, chatglm_test.cpp, TEST_F(ChatGLMTest, Embedding): w_data (torch.manual_seed(0)).
    expect(fixed4(createGenerator(0).randn([4, 3]))).toEqual([
      1.541, -0.2934, -2.1788, 0.5684, -1.0845, -1.3986, 0.4033, 0.838, -0.7193, -0.4033, -0.5966, 0.182,
    ]);
    // kornia: `_ = torch.manual_seed(0); Normal(0., 1.).rsample((8,))`.
    expect(fixed4(createGenerator(0).randn([8]))).toEqual([
      1.541, -0.2934, -2.1788, 0.5684, -1.0845, -1.3986, 0.4033, 0.838,
    ]);
  });
});

// Not printed anywhere we could find: these were recorded by running torch 1.13.1 as Debian 12 ships it
// (python3-torch 1.13.1+dfsg-4, GCC 12.2, "CPU capability usage: AVX2") on an x86-64 AMD EPYC, e.g.
// `torch.randn(1, 4, 128, 128, generator=torch.Generator().manual_seed(seed))`, and hashing the float32
// bits. Its DistributionTemplates.h / avx_mathfun.h are those of torch 2.x; an official wheel is built by
// another GCC, which we have not checked here.
describe("torch_cpu bit for bit against torch 1.13.1 (Debian build, AVX2), recorded", () => {
  it.each([
    [0, "0xa4adb485", [-1.1258398294448853, -1.152360200881958]],
    [42, "0x31d583c3", [1.9269152879714966, 1.4872840642929077]],
    [2 ** 32 + 5, "0x59bc5315", [1.8423298597335815, 0.5188871622085571]],
  ])("reproduces an SDXL latent [1, 4, 128, 128] for seed %d exactly", (seed, hash, firstTwo) => {
    const latents = createGenerator(seed).randn([1, 4, 128, 128]);
    expect(Array.from(latents.subarray(0, 2))).toEqual(firstTwo);
    expect(bitsHash(latents)).toBe(hash);
  });

  it("reproduces seed 2^64 − 1, which torch seeds from its low 32 bits (as 2^32 − 1)", () => {
    const latents = createGenerator(2n ** 64n - 1n).randn([1, 4, 128, 128]);
    expect(Array.from(latents.subarray(0, 2))).toEqual([-2.664297580718994, -1.0910485982894897]);
    expect(bitsHash(latents)).toBe("0x81a108dc");
    expect(createGenerator(2 ** 32 - 1).randn([64])).toEqual(createGenerator(2n ** 64n - 1n).randn([64]));
  });

  it("reproduces every size from 1 to 39 and 100, 1000, 4097 (both paths, every tail length)", () => {
    const sizes = [...Array.from({ length: 39 }, (_, i) => i + 1), 100, 1000, 4097];
    const values = sizes.flatMap((size) => Array.from(createGenerator(3).randn([size])));
    expect(bitsHash(new Float32Array(values))).toBe("0x3b67ed40");
  });

  it("reproduces the size-20 draw: 4 uniforms reused, the last 16 recomputed", () => {
    expect(Array.from(createGenerator(3).randn([20]))).toEqual([
      -0.07664429396390915, 0.35988152027130127, -0.7820168137550354, 0.07152773439884186, 1.0460227727890015,
      0.5221869945526123, -0.16680915653705597, 0.05303340032696724, 0.4046071469783783, 0.6112996339797974,
      0.7603904008865356, -0.03364326059818268, 0.997922420501709, 0.45918044447898865, 2.436397075653076,
      -0.1468081772327423, 0.4851140081882477, 0.2052343785762787, 0.33842819929122925, 1.35275399684906,
    ]);
  });

  it("continues one stream across mixed draws, the cached Box–Muller value surviving large draws", () => {
    // [1, 3, 16, 5, 20, 1, 2, 7, 33, 15, 1] on one generator seeded 11.
    const generator = createGenerator(11);
    const values = [1, 3, 16, 5, 20, 1, 2, 7, 33, 15, 1].flatMap((size) =>
      Array.from(generator.randn([size])),
    );
    expect(bitsHash(new Float32Array(values))).toBe("0xed311e23");
  });
});

describe("torch_cpu's stream", () => {
  it("carries torch's cached second normal between small draws", () => {
    const generator = createGenerator(3);
    const [first, second] = [generator.randn([1])[0], generator.randn([1])[0]];
    expect([first, second]).toEqual(Array.from(createGenerator(3).randn([2])));
  });

  it("gives each seed its own noise, with a standard normal spread", () => {
    const a = createGenerator(42).randn([1, 4, 64, 64]);
    const mean = a.reduce((s, v) => s + v, 0) / a.length;
    const variance = a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    expect(createGenerator(43).randn([4])).not.toEqual(createGenerator(42).randn([4]));
  });
});
