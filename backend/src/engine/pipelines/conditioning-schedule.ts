import { withoutLoraTags } from "@sdgate/shared";
import { encodedSubPrompts } from "../prompt/composable.ts";
import { promptSchedule, type ScheduledPrompt } from "../prompt/prompt-schedule.ts";
import {
  type Conditioning,
  type ConditioningRequest,
  concat,
  encodeConditioning,
  type TextStack,
  tokenizePrompts,
} from "./text-conditioning.ts";

/** The conditioning to use for the steps up to `endAtStep` (counted from 1, as A1111 does). */
export interface ScheduledConditioning {
  endAtStep: number;
  conditioning: Conditioning;
}

/**
 * The conditioning for every step of a prompt with editing or alternation (A1111's `[from:to:when]`,
 * `[a|b]`; see prompt-schedule.ts) or with sub-prompts (`AND`, `:weight`; see composable.ts), in the
 * prompt or the negative prompt: each different pair of texts encoded once, all padded to one chunk
 * count so every step's context has the same shape; sub-prompts become the rows after the
 * unconditional one, with their weights. A plain prompt gives one entry, encoded exactly as before.
 * `tokenizeMs` is the tokenising part of the time. `<lora:…>` tags are not text: they are taken out
 * first, as A1111 takes extra networks out before it parses the prompt.
 */
export async function encodeConditioningSchedule(
  stack: TextStack,
  tagged: ConditioningRequest,
  steps: number,
): Promise<{ entries: ScheduledConditioning[]; tokenizeMs: number }> {
  const started = performance.now();
  const request = {
    ...tagged,
    prompt: withoutLoraTags(tagged.prompt),
    negativePrompt: withoutLoraTags(tagged.negativePrompt),
  };
  const parts = encodedSubPrompts(request.prompt, request.guided);
  const schedules = parts.map((part) => promptSchedule(part.text, steps));
  const negatives = promptSchedule(request.negativePrompt, steps);
  const weighted = parts.length > 1 || parts[0]?.weight !== 1;
  const ends = [...new Set([...schedules.flat(), ...negatives].map((entry) => entry.endAtStep))].sort(
    (a, b) => a - b,
  );
  const textAt = (schedule: readonly ScheduledPrompt[], end: number) =>
    (schedule.find((entry) => end <= entry.endAtStep) ?? schedule.at(-1))?.prompt ?? "";
  // per step boundary, per sub-prompt: the request as it reads there
  const requests = ends.map((end) =>
    schedules.map((schedule) => ({
      ...request,
      prompt: textAt(schedule, end),
      negativePrompt: textAt(negatives, end),
    })),
  );
  if (ends.length === 1 && !weighted) {
    // one prompt throughout, as it reads: an edit that never comes is resolved away, and a plain
    // prompt reads exactly as written
    const single = requests[0]?.[0] as ConditioningRequest;
    const tokens = tokenizePrompts(stack, single);
    const tokenizeMs = performance.now() - started;
    return {
      entries: [{ endAtStep: steps, conditioning: await encodeConditioning(stack, tokens, single) }],
      tokenizeMs,
    };
  }
  const all = requests.flat();
  const chunks = Math.max(...all.map((r) => tokenizePrompts(stack, r).prompt[0]?.length ?? 1));
  const tokenizeMs = performance.now() - started;
  const encoded = new Map<string, Conditioning>();
  const encode = async (r: ConditioningRequest) => {
    const key = JSON.stringify([r.prompt, r.negativePrompt]);
    let conditioning = encoded.get(key);
    if (conditioning === undefined) {
      conditioning = await encodeConditioning(stack, tokenizePrompts(stack, r, chunks), r);
      encoded.set(key, conditioning);
    }
    return conditioning;
  };
  const weights = parts.map((part) => part.weight);
  const entries: ScheduledConditioning[] = [];
  for (const [i, end] of ends.entries()) {
    const encodings = [];
    for (const r of requests[i] ?? []) encodings.push(await encode(r));
    entries.push({
      endAtStep: end,
      conditioning: weighted ? combineRows(encodings, weights) : (encodings[0] as Conditioning),
    });
  }
  return { entries, tokenizeMs };
}

/**
 * One conditioning of `[uncond, cond₁, …, condₖ]` from k `[uncond, cond]` encodings of the same
 * negative prompt, with the sub-prompts' guidance weights.
 */
function combineRows(encodings: readonly Conditioning[], weights: readonly number[]): Conditioning {
  const first = encodings[0] as Conditioning;
  const row = (values: Float32Array, index: number) => {
    const size = values.length / 2;
    return values.subarray(index * size, (index + 1) * size);
  };
  const rows = (pick: (c: Conditioning) => Float32Array | undefined) => {
    const firstValues = pick(first);
    if (firstValues === undefined) return undefined;
    return concat([row(firstValues, 0), ...encodings.map((c) => row(pick(c) as Float32Array, 1))]);
  };
  const [, tokens, width] = first.contextDims;
  const combined: Conditioning = {
    batch: encodings.length + 1,
    condWeights: weights,
    context: rows((c) => c.context) as Float32Array,
    contextDims: [encodings.length + 1, tokens, width],
  };
  const textEmbeds = rows((c) => c.textEmbeds);
  if (textEmbeds !== undefined) combined.textEmbeds = textEmbeds;
  const timeIds = rows((c) => c.timeIds);
  if (timeIds !== undefined) combined.timeIds = timeIds;
  return combined;
}

/**
 * The conditioning for the step with 0-based index `stepIndex`: the first entry that has not ended,
 * A1111's `reconstruct_cond_batch(c, current_step)` (its step counter starts at 0, so `[a:b:3]` keeps
 * `a` for the steps with index 0 to 3).
 */
export function conditioningAt(entries: readonly ScheduledConditioning[], stepIndex: number): Conditioning {
  const entry = entries.find((e) => stepIndex <= e.endAtStep) ?? entries.at(-1);
  if (entry === undefined) throw new Error("a conditioning schedule needs at least one entry");
  return entry.conditioning;
}
