import { LORA_TAG } from "@sdgate/shared";
import { encodedSubPrompts } from "./composable.ts";
import { type PromptPiece, promptSchedulePieces } from "./prompt-schedule.ts";

/**
 * A text the engine encodes for a prompt, with where each of its characters stands in the prompt as
 * written: `sources[i]` is the offset of `text[i]`, and `sources[text.length]` the offset just past
 * the text's last character.
 */
export interface PromptReading {
  text: string;
  sources: number[];
}

/** The text made of `pieces` of `from`'s text (each `{ text, at }` a run of it), keeping their sources. */
function readingOf(from: PromptReading, pieces: readonly PromptPiece[]): PromptReading {
  let text = "";
  const sources: number[] = [];
  for (const piece of pieces) {
    text += piece.text;
    for (let i = 0; i < piece.text.length; i++) sources.push(from.sources[piece.at + i] as number);
  }
  const last = pieces.findLast((piece) => piece.text !== "");
  sources.push(
    last === undefined ? (from.sources[0] as number) : (from.sources[last.at + last.text.length] as number),
  );
  return { text, sources };
}

/** `prompt` without its `<lora:…>` tags, as `encodeConditioningSchedule` takes them out first. */
function withoutLoraTags(prompt: string): PromptReading {
  const written = { text: prompt, sources: Array.from({ length: prompt.length + 1 }, (_, i) => i) };
  const pieces: PromptPiece[] = [];
  let at = 0;
  for (const tag of prompt.matchAll(LORA_TAG)) {
    pieces.push({ text: prompt.slice(at, tag.index), at });
    at = tag.index + tag[0].length;
  }
  pieces.push({ text: prompt.slice(at), at });
  return readingOf(written, pieces);
}

/**
 * Every text the engine encodes for `prompt` over `steps` steps, as `encodeConditioningSchedule` reads
 * it: `<lora:…>` tags taken out, then, when `composable` (a prompt, not a negative one, read with
 * guidance: see `runsGuidance`), split at `AND` into sub-prompts (more than `MAX_SUB_PROMPTS` is an
 * `InvalidArgumentError` on `prompt`, as a generation's), then each read at every step of its prompt
 * editing and alternation (`[from:to:when]`, `[a|b]`). Repeated texts are given once; a plain prompt gives itself, without its tags.
 *
 * @example
 * promptReadings("a [fox|hound] AND snow", 4, { composable: true }).map((r) => r.text);
 * // ["a fox", "a hound", " snow"]
 */
export function promptReadings(
  prompt: string,
  steps: number,
  options: { composable: boolean },
): PromptReading[] {
  const untagged = withoutLoraTags(prompt);
  const parts = encodedSubPrompts(untagged.text, options.composable).map((part) =>
    readingOf(untagged, [{ text: part.text, at: part.at }]),
  );
  const readings = new Map<string, PromptReading>();
  for (const part of parts) {
    for (const scheduled of promptSchedulePieces(part.text, steps)) {
      const reading = readingOf(part, scheduled.pieces);
      if (!readings.has(reading.text)) readings.set(reading.text, reading);
    }
  }
  return [...readings.values()];
}
