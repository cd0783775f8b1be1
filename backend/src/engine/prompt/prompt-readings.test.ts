import { describe, expect, it } from "vitest";
import { InvalidArgumentError } from "../errors.ts";
import { runsGuidance } from "../pipelines/runs-guidance.ts";
import { promptReadings } from "./prompt-readings.ts";
import { promptSchedulePieces } from "./prompt-schedule.ts";

/** Each reading's characters, read back from the prompt as written through their sources. */
const readBack = (prompt: string, steps: number, composable = true) =>
  promptReadings(prompt, steps, { composable }).map((reading) => ({
    text: reading.text,
    fromSources: [...reading.text].map((_, i) => prompt[reading.sources[i] as number]).join(""),
  }));

describe("the texts the engine encodes for a prompt, with their places in it", () => {
  it("takes out <lora:…> tags, splits at AND and reads every step's editing and alternation", () => {
    const prompt = "<lora:ink:0.5>a [fox|hound] AND [snow::2] field :0.7";
    const readings = readBack(prompt, 4);
    expect(readings.map((r) => r.text)).toEqual(["a fox", "a hound", " snow field", "  field"]);
    for (const reading of readings) expect(reading.fromSources).toBe(reading.text);
  });

  it("leaves a plain prompt as written, and a negative prompt's AND as text", () => {
    expect(readBack("a (red:1.2) fox, \\(fur\\)", 20)).toEqual([
      { text: "a (red:1.2) fox, \\(fur\\)", fromSources: "a (red:1.2) fox, \\(fur\\)" },
    ]);
    expect(readBack("a AND b", 20, false).map((r) => r.text)).toEqual(["a AND b"]);
  });

  it("splits at AND at guidance 7, and reads it as text at 1 and on a UNet that embeds the scale (LCM)", () => {
    const texts = (embedsGuidance: boolean, scale: number) =>
      promptReadings("a fox AND snow", 20, { composable: runsGuidance({ embedsGuidance }, scale) }).map(
        (r) => r.text,
      );
    expect(texts(false, 7)).toEqual(["a fox", " snow"]);
    expect(texts(false, 1)).toEqual(["a fox AND snow"]);
    expect(texts(true, 7)).toEqual(["a fox AND snow"]);
  });

  it("refuses more sub-prompts than a generation takes (8), naming the prompt, only when it splits", () => {
    const nine = Array.from({ length: 9 }, (_, i) => `fox ${i}`).join(" AND ");
    expect(() => promptReadings(nine, 20, { composable: true })).toThrow(InvalidArgumentError);
    expect(() => promptReadings(nine, 20, { composable: true })).toThrow(/`prompt` has to have at most 8/);
    expect(promptReadings(nine, 20, { composable: false })).toHaveLength(1);
    expect(promptReadings(nine.slice(0, nine.lastIndexOf(" AND ")), 20, { composable: true })).toHaveLength(
      8,
    );
  });

  it("ends each reading's sources just past its last character", () => {
    const [first] = promptReadings("<lora:x>ab<lora:y>", 1, { composable: true });
    expect(first).toEqual({ text: "ab", sources: [8, 9, 10] });
  });
});

describe("a schedule as pieces of the prompt as written", () => {
  it("is made of runs of the prompt, in its order", () => {
    const prompt = "a ((b:1.1) [c:d:3] [e|f]) \\[g] [h:0.5] i:j";
    for (const { pieces } of promptSchedulePieces(prompt, 6)) {
      for (const piece of pieces)
        expect(prompt.slice(piece.at, piece.at + piece.text.length)).toBe(piece.text);
      const starts = pieces.map((piece) => piece.at);
      expect(starts).toEqual([...starts].sort((a, b) => a - b));
    }
  });
});
