import { type NamedSchema, named, type OperationSpec } from "./operation-spec.ts";
import { promptTokenizeBodySchema, promptTokensSchema } from "./prompt-tokens.ts";

// The Studio's prompt editors (issue 17): a prompt's tokens, counted by its model's tokenizer.

export const PROMPT_SCHEMAS = {
  PromptTokenize: named("PromptTokenize", promptTokenizeBodySchema),
  PromptTokens: named("PromptTokens", promptTokensSchema),
} as const satisfies Record<string, NamedSchema>;

export const PROMPT_OPERATIONS = {
  tokenizePrompt: {
    method: "POST",
    path: "/v1/prompts/tokenize",
    summary:
      "A prompt's tokens as the model's text encoder reads them: <lora:…> tags taken out, split at AND into sub-prompts (unless `negative`, or without guidance: `guidance_scale` at most 1, absent the model's default, or a model that embeds the scale such as LCM, where the engine reads AND as text; more sub-prompts than the engine takes is a 400 on `prompt`), each read at every step of its prompt editing and alternation ([from:to:when], [a|b]) over `steps`; the longest of those texts, with A1111's emphasis syntax parsed and tokenised by the model's own CLIP tokenizer, laid into chunks of 75 tokens (BREAK starts a new one), each with the part of the prompt it holds and whether it lies past the model's limit (A1111's token counter reports the same maximum). Nothing runs on the GPU and nothing is charged.",
    access: { kind: "api_key", scope: "read" },
    permission: "models.read",
    idempotent: true,
    body: PROMPT_SCHEMAS.PromptTokenize,
    success: { status: 200, schema: PROMPT_SCHEMAS.PromptTokens, description: "The prompt's chunks." },
  },
} as const satisfies Record<string, OperationSpec>;
