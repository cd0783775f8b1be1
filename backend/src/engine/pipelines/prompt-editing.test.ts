import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSession, type LoadedSession } from "../models/onnx-session.ts";
import { TextEncoderSession } from "../models/text-encoder.ts";
import { loadTiny, tinyModelDir } from "../test-models.ts";
import { ClipTokenizer } from "../tokenizer/clip-tokenizer.ts";
import { conditioningAt, encodeConditioningSchedule } from "./conditioning-schedule.ts";
import {
  type ConditioningRequest,
  encodeConditioning,
  type TextStack,
  tokenizePrompts,
} from "./text-conditioning.ts";

const sessions: LoadedSession[] = [];
afterAll(() => Promise.all(sessions.map((s) => s.session.release())));

async function tinyStack(): Promise<TextStack> {
  const dir = await tinyModelDir();
  const loaded = await createSession(dir, "text_encoder/model.onnx", ["cpu"], { info() {}, warn() {} });
  sessions.push(loaded);
  return {
    tokenizers: [await ClipTokenizer.fromDir(join(dir, "tokenizer"))],
    encoders: [new TextEncoderSession(loaded, { penultimate: false, pooled: false })],
    sdxl: false,
    forceZerosForEmptyPrompt: false,
    timestepCondDim: undefined,
  };
}

const request = (prompt: string, negativePrompt = ""): ConditioningRequest => ({
  prompt,
  negativePrompt,
  guided: true,
  guidanceScale: 7,
  width: 64,
  height: 64,
});

async function plain(stack: TextStack, r: ConditioningRequest) {
  return encodeConditioning(stack, tokenizePrompts(stack, r), r);
}

describe("prompt editing in the conditioning", () => {
  it("encodes each step's prompt, the same as that prompt written plainly", async () => {
    const stack = await tinyStack();
    const { entries } = await encodeConditioningSchedule(stack, request("a [red:blue:2] fox", "blurry"), 6);
    expect(entries.map((e) => e.endAtStep)).toEqual([2, 6]);
    const red = await plain(stack, request("a red fox", "blurry"));
    const blue = await plain(stack, request("a blue fox", "blurry"));
    expect(entries[0]?.conditioning.context).toEqual(red.context);
    expect(entries[1]?.conditioning.context).toEqual(blue.context);
    // A1111's step counter starts at 0: index 0…2 use the first prompt, 3 on the second
    expect([0, 1, 2, 3, 5, 9].map((i) => conditioningAt(entries, i) === entries[0]?.conditioning)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it("pads every step's prompts to one chunk count, and encodes a prompt pair once", async () => {
    const stack = await tinyStack();
    const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(" ");
    const { entries } = await encodeConditioningSchedule(stack, request(`[a|${long}] fox`), 4);
    expect(entries.map((e) => e.endAtStep)).toEqual([1, 2, 3, 4]);
    const shapes = new Set(entries.map((e) => e.conditioning.contextDims.join("×")));
    expect(shapes.size).toBe(1);
    expect(entries[0]?.conditioning.contextDims[1]).toBeGreaterThan(77);
    expect(entries[0]?.conditioning).toBe(entries[2]?.conditioning);
    expect(entries[1]?.conditioning).toBe(entries[3]?.conditioning);
  });

  it("leaves a prompt without editing exactly as it was", async () => {
    const stack = await tinyStack();
    const r = request("a (red:1.2) fox [on snow]", "blurry");
    const { entries } = await encodeConditioningSchedule(stack, r, 20);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.conditioning).toEqual(await plain(stack, r));
  });
});

describe("prompt editing in the pipeline", () => {
  const bytes = (result: { images: { rgb: Uint8Array }[] }) => Buffer.from(result.images[0]?.rgb ?? []);

  it("changes the image mid-way, equals the plain prompt when the switch never comes, and batches alone", async () => {
    const pipeline = await loadTiny();
    try {
      const base = { width: 64, height: 64, steps: 4, guidanceScale: 7, seed: 11 };
      const red = bytes(await pipeline.generate({ ...base, prompt: "a red fox" }));
      const blue = bytes(await pipeline.generate({ ...base, prompt: "a blue fox" }));
      const edited = bytes(await pipeline.generate({ ...base, prompt: "a [red:blue:0.5] fox" }));
      expect(edited.equals(red) || edited.equals(blue)).toBe(false);
      // `when` past the last step: the first prompt throughout, exactly
      expect(bytes(await pipeline.generate({ ...base, prompt: "a [red:blue:9] fox" })).equals(red)).toBe(
        true,
      );
      const alternating = bytes(await pipeline.generate({ ...base, prompt: "a [red|blue] fox" }));
      expect(alternating.equals(red) || alternating.equals(blue) || alternating.equals(edited)).toBe(false);

      const outcomes = await pipeline.generateBatch([
        { request: { ...base, prompt: "a red fox" } },
        { request: { ...base, prompt: "a [red:blue:0.5] fox" } },
        { request: { ...base, prompt: "a blue fox" } },
        // resolved away (its switch would come after the last step): batched, and reads "a red fox"
        { request: { ...base, prompt: "a [red:blue:9] fox" } },
      ]);
      const batched = outcomes.map((o) =>
        o.ok ? Buffer.from(o.result.images[0]?.rgb ?? []) : Buffer.alloc(0),
      );
      expect(batched.map((b, i) => b.equals([red, edited, blue, red][i] as Buffer))).toEqual([
        true,
        true,
        true,
        true,
      ]);
      expect((outcomes[1]?.ok ? outcomes[1].result.images[0]?.metadata?.parameters : "") ?? "").toMatch(
        /^a \[red:blue:0\.5\] fox\n/,
      );
    } finally {
      await pipeline.release();
    }
  });
});
