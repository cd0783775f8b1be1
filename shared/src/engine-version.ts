/**
 * The engine's version in replay-cache keys: the same request may only replay bytes made by an engine
 * that makes the same bytes. Bump it whenever the engine's output for an existing request changes
 * (2: A1111 prompt emphasis and prompts longer than 75 tokens; 3: HTML character references in prompts
 * unescaped as CLIP's tokenizer does). A registry may pin its own
 * (`engine_version`) while a fleet is being rolled from one engine to the next.
 */
export const ENGINE_VERSION = "sdgate-engine/3";
