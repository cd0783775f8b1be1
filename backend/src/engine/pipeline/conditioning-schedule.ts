import { promptSchedule } from "../prompt/prompt-schedule.ts";
import {
  type Conditioning,
  type ConditioningRequest,
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
 * The conditioning for every step of an edited or alternating prompt or negative prompt (A1111's
 * `[from:to:when]`, `[a|b]`; see prompt-schedule.ts): each different pair of texts encoded once, all
 * padded to one chunk count so every step's context has the same shape. A prompt without editing
 * gives one entry, encoded exactly as before editing existed. `tokenizeMs` is the tokenising part of
 * the time.
 */
export async function encodeConditioningSchedule(
  stack: TextStack,
  request: ConditioningRequest,
  steps: number,
): Promise<{ entries: ScheduledConditioning[]; tokenizeMs: number }> {
  const started = performance.now();
  const prompts = promptSchedule(request.prompt, steps);
  const negatives = promptSchedule(request.negativePrompt, steps);
  if (prompts.length === 1 && negatives.length === 1) {
    // one prompt throughout, as it reads: an edit that never comes is resolved away, and a plain
    // prompt reads exactly as written
    const single = {
      ...request,
      prompt: prompts[0]?.prompt ?? "",
      negativePrompt: negatives[0]?.prompt ?? "",
    };
    const tokens = tokenizePrompts(stack, single);
    const tokenizeMs = performance.now() - started;
    return {
      entries: [{ endAtStep: steps, conditioning: await encodeConditioning(stack, tokens, single) }],
      tokenizeMs,
    };
  }
  const ends = [...new Set([...prompts, ...negatives].map((entry) => entry.endAtStep))].sort((a, b) => a - b);
  const textAt = (schedule: typeof prompts, end: number) =>
    (schedule.find((entry) => end <= entry.endAtStep) ?? schedule.at(-1))?.prompt ?? "";
  const requests = ends.map((end) => ({
    ...request,
    prompt: textAt(prompts, end),
    negativePrompt: textAt(negatives, end),
  }));
  const chunks = Math.max(...requests.map((r) => tokenizePrompts(stack, r).prompt[0]?.length ?? 1));
  const tokens = requests.map((r) => tokenizePrompts(stack, r, chunks));
  const tokenizeMs = performance.now() - started;
  const encoded = new Map<string, Conditioning>();
  const entries: ScheduledConditioning[] = [];
  for (const [i, end] of ends.entries()) {
    const r = requests[i] as ConditioningRequest;
    const key = JSON.stringify([r.prompt, r.negativePrompt]);
    let conditioning = encoded.get(key);
    if (conditioning === undefined) {
      conditioning = await encodeConditioning(stack, tokens[i] as ReturnType<typeof tokenizePrompts>, r);
      encoded.set(key, conditioning);
    }
    entries.push({ endAtStep: end, conditioning });
  }
  return { entries, tokenizeMs };
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
