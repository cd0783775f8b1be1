import { ModelLoadError } from "../errors.ts";
import { guidanceScaleEmbedding } from "./guidance-embedding.ts";
import type { PromptEncoder, TextEncoding } from "./text-encoder.ts";

/** What the pipeline needs of a tokenizer: 77 ids per prompt (`ClipTokenizer`). */
export interface PromptTokenizer {
  encode(text: string): number[];
}

/** The text side of a model: one tokenizer and encoder (SD 1.x/2.x), or two (SDXL). */
export interface TextStack {
  tokenizers: readonly PromptTokenizer[];
  encoders: readonly PromptEncoder[];
  sdxl: boolean;
  /** SDXL: an empty negative prompt becomes zeros (diffusers' `force_zeros_for_empty_prompt`). */
  forceZerosForEmptyPrompt: boolean;
  /** LCM: the width of `timestep_cond`, when the UNet takes it. */
  timestepCondDim: number | undefined;
}

/** Token ids per tokenizer for the prompt, and for the negative prompt when it is encoded. */
export interface PromptTokens {
  prompt: number[][];
  negative: number[][] | null;
}

/**
 * Everything the UNet is conditioned on, batched `[uncond, cond]` under classifier-free guidance
 * (the order diffusers concatenates them in) and `[cond]` without.
 */
export interface Conditioning {
  batch: 1 | 2;
  context: Float32Array;
  contextDims: readonly [number, number, number];
  textEmbeds?: Float32Array;
  timeIds?: Float32Array;
  timestepCond?: Float32Array;
}

export interface ConditioningRequest {
  prompt: string;
  negativePrompt: string;
  /** Classifier-free guidance as one batch of 2 (off for LCM, and when guidance ≤ 1). */
  guided: boolean;
  guidanceScale: number;
  width: number;
  height: number;
}

/** Whether the negative prompt is encoded (SDXL uses zeros for an empty one instead). */
function encodesNegative(stack: TextStack, request: ConditioningRequest): boolean {
  return request.guided && !(stack.forceZerosForEmptyPrompt && request.negativePrompt === "");
}

/** Tokenise the prompt (and negative prompt) with every tokenizer of the stack. */
export function tokenizePrompts(stack: TextStack, request: ConditioningRequest): PromptTokens {
  return {
    prompt: stack.tokenizers.map((tokenizer) => tokenizer.encode(request.prompt)),
    negative: encodesNegative(stack, request)
      ? stack.tokenizers.map((tokenizer) => tokenizer.encode(request.negativePrompt))
      : null,
  };
}

/**
 * Prompt embeddings as diffusers' `encode_prompt` makes them. SD: `last_hidden_state`. SDXL
 * (`StableDiffusionXLPipeline.encode_prompt`): each encoder's penultimate hidden states, concatenated
 * on the feature axis, and the second encoder's pooled `text_embeds`; `time_ids` =
 * original size + crop (0, 0) + target size = `[h, w, 0, 0, h, w]`. LCM
 * (`LatentConsistencyModelPipeline`): no unconditional batch; `w = guidance − 1` embedded.
 */
export async function encodeConditioning(
  stack: TextStack,
  tokens: PromptTokens,
  request: ConditioningRequest,
): Promise<Conditioning> {
  const cond = await encodeAll(stack, tokens.prompt);
  const parts = request.guided
    ? [tokens.negative === null ? zerosLike(cond) : await encodeAll(stack, tokens.negative), cond]
    : [cond];
  const batch = parts.length as 1 | 2;
  const [, tokensPerPrompt, width] = cond.dims;
  const conditioning: Conditioning = {
    batch,
    context: concat(parts.map((part) => part.hidden)),
    contextDims: [batch, tokensPerPrompt, width],
  };
  if (stack.sdxl) {
    conditioning.textEmbeds = concat(parts.map((part) => part.pooled ?? new Float32Array(0)));
    const { height, width: widthPx } = request;
    conditioning.timeIds = concat(parts.map(() => Float32Array.of(height, widthPx, 0, 0, height, widthPx)));
  }
  if (stack.timestepCondDim !== undefined) {
    const row = guidanceScaleEmbedding(request.guidanceScale - 1, stack.timestepCondDim);
    conditioning.timestepCond = concat(parts.map(() => row));
  }
  return conditioning;
}

/** One prompt through every encoder; SDXL's states are joined on the feature axis. */
async function encodeAll(stack: TextStack, ids: readonly number[][]): Promise<TextEncoding> {
  const encodings: TextEncoding[] = [];
  for (const [i, encoder] of stack.encoders.entries()) encodings.push(await encoder.encode(ids[i] ?? []));
  const first = encodings[0];
  if (first === undefined) throw new Error("a text stack needs at least one encoder");
  if (encodings.length === 1) return first;
  const tokens = first.dims[1];
  for (const [i, encoding] of encodings.entries()) {
    if (encoding.dims[1] !== tokens) {
      throw new ModelLoadError(
        `text_encoder${i === 0 ? "" : `_${i + 1}`}/model.onnx`,
        `gives ${encoding.dims[1]} tokens, the first encoder ${tokens}`,
      );
    }
  }
  const widths = encodings.map((encoding) => encoding.dims[2]);
  const total = widths.reduce((a, b) => a + b, 0);
  const hidden = new Float32Array(tokens * total);
  for (let t = 0; t < tokens; t++) {
    let offset = t * total;
    for (const [i, encoding] of encodings.entries()) {
      const w = widths[i] as number;
      hidden.set(encoding.hidden.subarray(t * w, (t + 1) * w), offset);
      offset += w;
    }
  }
  const joined: TextEncoding = { hidden, dims: [1, tokens, total] };
  const pooled = encodings.at(-1)?.pooled;
  if (pooled !== undefined) joined.pooled = pooled;
  return joined;
}

function zerosLike(encoding: TextEncoding): TextEncoding {
  const zeros: TextEncoding = { hidden: new Float32Array(encoding.hidden.length), dims: encoding.dims };
  if (encoding.pooled !== undefined) zeros.pooled = new Float32Array(encoding.pooled.length);
  return zeros;
}

export function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
