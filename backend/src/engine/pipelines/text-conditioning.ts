import { type SizeConditioning, sizeConditioningTimeIds } from "@sdgate/shared";
import { InvalidArgumentError } from "../errors.ts";
import type { PromptEncoder, TextEncoding } from "../models/text-encoder.ts";
import { type ChunkTokenizer, chunkPrompt, type PromptChunk, padChunks } from "../prompt/chunk-tokens.ts";
import { encodeChunks } from "../prompt/encode-chunks.ts";
import { PromptWeightError, parsePromptAttention } from "../prompt/parse-attention.ts";
import type { EngineLogger, Seed } from "../types.ts";
import { type AestheticScores, DEFAULT_AESTHETIC_SCORES, refinerTimeIds } from "./aesthetic-score.ts";
import { guidanceScaleEmbedding } from "./guidance-embedding.ts";
import { runsGuidance } from "./runs-guidance.ts";
import type { ResolvedRequest } from "./validate.ts";

/** Prompts longer than this many chunks (of 75 tokens) are refused: 600 tokens is far past any use. */
export const MAX_PROMPT_CHUNKS = 8;

/** The text side of a model: one tokenizer and encoder (SD 1.x/2.x), or two (SDXL). */
export interface TextStack {
  tokenizers: readonly ChunkTokenizer[];
  encoders: readonly PromptEncoder[];
  sdxl: boolean;
  /** SDXL refiner: `time_ids` are original size, crop and aesthetic score (five, not six). */
  aestheticScore?: boolean;
  /** SDXL: an empty negative prompt becomes zeros (diffusers' `force_zeros_for_empty_prompt`). */
  forceZerosForEmptyPrompt: boolean;
  /** LCM: the width of `timestep_cond`, when the UNet takes it. */
  timestepCondDim: number | undefined;
  /**
   * The UNet's `encoder_hidden_states` length when its export fixes it (usually 77): prompts then
   * keep their first chunk(s) only, with a warning. Undefined: any multiple of 77.
   */
  fixedContextTokens?: number | undefined;
  logger?: EngineLogger;
}

/** Chunks per tokenizer for the prompt, and for the negative prompt when it is encoded; all of one length. */
export interface PromptTokens {
  prompt: PromptChunk[][];
  negative: PromptChunk[][] | null;
}

/**
 * Everything the UNet is conditioned on, batched `[uncond, cond]` under classifier-free guidance
 * (the order diffusers concatenates them in) and `[cond]` without.
 */
export interface Conditioning {
  /** Rows: 1 (no guidance), 2 (`[uncond, cond]`), or 1 + one per sub-prompt of a composable prompt. */
  batch: number;
  /** Composable prompts (`AND`, `:weight`): each conditional row's guidance weight; absent means `[1]`. */
  condWeights?: readonly number[];
  context: Float32Array;
  contextDims: readonly [number, number, number];
  textEmbeds?: Float32Array;
  timeIds?: Float32Array;
  timestepCond?: Float32Array;
}

export interface ConditioningRequest {
  prompt: string;
  negativePrompt: string;
  /** A1111's clip skip (1: the last layer); see `EncodeOptions`. */
  clipSkip?: number;
  /** Classifier-free guidance as one batch of 2 (off for LCM, and when guidance ≤ 1). */
  guided: boolean;
  guidanceScale: number;
  width: number;
  height: number;
  /** SDXL's size and crop conditioning as the request gave it (diffusers' defaults for the rest). */
  sizeConditioning?: SizeConditioning | undefined;
  /** SDXL refiner: the scores its `time_ids` end with (diffusers' defaults when absent). */
  aestheticScores?: AestheticScores | undefined;
}

/**
 * What every pipeline conditions the UNet on, from a resolved request: its prompts, clip skip,
 * guidance (LCM embeds the scale instead of running an unconditional batch), size and SDXL's size
 * conditioning.
 */
export function conditioningRequestOf(
  stack: TextStack,
  resolved: Pick<
    ResolvedRequest<Seed>,
    | "prompt"
    | "negativePrompt"
    | "clipSkip"
    | "guidanceScale"
    | "width"
    | "height"
    | "sizeConditioning"
    | "aestheticScores"
  >,
): ConditioningRequest {
  return {
    prompt: resolved.prompt,
    negativePrompt: resolved.negativePrompt,
    clipSkip: resolved.clipSkip,
    guided: runsGuidance({ embedsGuidance: stack.timestepCondDim !== undefined }, resolved.guidanceScale),
    guidanceScale: resolved.guidanceScale,
    width: resolved.width,
    height: resolved.height,
    sizeConditioning: resolved.sizeConditioning,
    aestheticScores: resolved.aestheticScores,
  };
}

/** Whether the negative prompt is encoded (SDXL uses zeros for an empty one instead). */
function encodesNegative(stack: TextStack, request: ConditioningRequest): boolean {
  return request.guided && !(stack.forceZerosForEmptyPrompt && request.negativePrompt === "");
}

/**
 * Parse A1111's emphasis syntax and split into 75-token chunks (see `prompt/`) with every tokenizer
 * of the stack. Prompt and negative prompt are padded with empty chunks to the same count, as A1111's
 * `pad_cond_uncond` does, so that classifier-free guidance stays one batch (and to `minChunks`, so
 * that the prompts of an edited prompt's steps all have one shape). A prompt of more than
 * {@link MAX_PROMPT_CHUNKS} chunks, or with a weight that is not a number, is an
 * `InvalidArgumentError` naming `prompt` or `negativePrompt`.
 */
export function tokenizePrompts(stack: TextStack, request: ConditioningRequest, minChunks = 1): PromptTokens {
  const prompt = chunkWithEvery(stack, "prompt", request.prompt);
  const negative = encodesNegative(stack, request)
    ? chunkWithEvery(stack, "negativePrompt", request.negativePrompt)
    : null;
  let count = Math.max(minChunks, ...[prompt, negative ?? []].flat().map((chunks) => chunks.length));
  const allowed = maxPromptChunks(stack);
  if (count > allowed) {
    stack.logger?.warn("the UNet takes a fixed number of text tokens; the prompt is cut to fit", {
      chunks: count,
      chunksUsed: allowed,
      contextTokens: stack.fixedContextTokens,
    });
    count = allowed;
  }
  const fit = (perTokenizer: PromptChunk[][]) =>
    perTokenizer.map((chunks, i) =>
      padChunks(chunks.slice(0, count), count, stack.tokenizers[i] as ChunkTokenizer),
    );
  return { prompt: fit(prompt), negative: negative === null ? null : fit(negative) };
}

function chunkWithEvery(stack: TextStack, param: string, text: string): PromptChunk[][] {
  let parsed: ReturnType<typeof parsePromptAttention>;
  try {
    parsed = parsePromptAttention(text);
  } catch (error) {
    if (!(error instanceof PromptWeightError)) throw error;
    throw new InvalidArgumentError(param, `(…:${error.weight})`, "needs numeric (text:weight) weights");
  }
  const perTokenizer = stack.tokenizers.map((tokenizer) => chunkPrompt(parsed, tokenizer));
  const longest = Math.max(...perTokenizer.map((chunks) => chunks.length));
  if (longest > MAX_PROMPT_CHUNKS) {
    throw new InvalidArgumentError(
      param,
      `${longest} chunks of 75 tokens`,
      `has to fit in ${MAX_PROMPT_CHUNKS} chunks of 75 tokens (BREAK starts a new one)`,
    );
  }
  return perTokenizer;
}

/** How many chunks the UNet's `encoder_hidden_states` holds: all we allow, unless its export fixes it. */
export function maxPromptChunks(stack: TextStack): number {
  const fixed = stack.fixedContextTokens;
  const chunkTokens = stack.tokenizers[0]?.maxLength ?? 77;
  return fixed === undefined ? MAX_PROMPT_CHUNKS : Math.max(1, Math.floor(fixed / chunkTokens));
}

/**
 * Prompt embeddings as diffusers' `encode_prompt` makes them. SD: `last_hidden_state`. SDXL
 * (`StableDiffusionXLPipeline.encode_prompt`): each encoder's penultimate hidden states, concatenated
 * on the feature axis, and the second encoder's pooled `text_embeds`; `time_ids` =
 * original size + crop + target size (`sizeConditioningTimeIds`: `[h, w, 0, 0, h, w]` by default,
 * the unconditional row from the `negative_*` fields when given; the refiner's five end with the
 * aesthetic score instead of the target size, see `refinerTimeIds`). LCM
 * (`LatentConsistencyModelPipeline`): no unconditional batch; `w = guidance − 1` embedded. Each
 * chunk is weighted and the chunks joined as A1111 does (`encodeChunks`): `[batch, 77·k, width]`.
 */
export async function encodeConditioning(
  stack: TextStack,
  tokens: PromptTokens,
  request: ConditioningRequest,
): Promise<Conditioning> {
  const options = { clipSkip: request.clipSkip ?? 1 };
  const cond = await encodeChunks(stack.encoders, tokens.prompt, options);
  const parts = request.guided
    ? [
        tokens.negative === null
          ? zerosLike(cond)
          : await encodeChunks(stack.encoders, tokens.negative, options),
        cond,
      ]
    : [cond];
  const batch = parts.length;
  const [, tokensPerPrompt, width] = cond.dims;
  const conditioning: Conditioning = {
    batch,
    context: concat(parts.map((part) => part.hidden)),
    contextDims: [batch, tokensPerPrompt, width],
  };
  if (stack.sdxl) {
    conditioning.textEmbeds = concat(parts.map((part) => part.pooled ?? new Float32Array(0)));
    const ids = stack.aestheticScore
      ? refinerTimeIds(
          request.sizeConditioning ?? {},
          request.width,
          request.height,
          request.aestheticScores ?? DEFAULT_AESTHETIC_SCORES,
        )
      : sizeConditioningTimeIds(request.sizeConditioning ?? {}, request.width, request.height);
    // parts are [uncond, cond] under guidance, [cond] without
    const rows = request.guided ? [ids.negative, ids.positive] : [ids.positive];
    conditioning.timeIds = concat(rows.map((row) => Float32Array.from(row)));
  }
  if (stack.timestepCondDim !== undefined) {
    const row = guidanceScaleEmbedding(request.guidanceScale - 1, stack.timestepCondDim);
    conditioning.timestepCond = concat(parts.map(() => row));
  }
  return conditioning;
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
