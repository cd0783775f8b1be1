import type { PromptTokenizeBody, PromptTokens } from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * Prompts as a model reads them (`POST /v1/prompts/tokenize`): what the Studio's prompt editors count.
 *
 * @example
 * const { chunks } = await client.prompts.tokenize({ model: "tiny", prompt: "a (fox:1.2) BREAK snow" });
 */
export class Prompts {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * The prompt's tokens, counted by the model's own CLIP tokenizer, in chunks of 75 (BREAK starts a
   * new one), each with the part of the text it holds and whether it lies past the model's limit.
   *
   * @example
   * const counted = await client.prompts.tokenize({ model: "tiny", prompt });
   * counted.chunks.map((chunk) => `${chunk.tokens}/${counted.chunk_tokens}`); // ["42/75", "3/75"]
   */
  async tokenize(body: PromptTokenizeBody, options: RequestOptions = {}): Promise<PromptTokens> {
    return callOperation(this.#transport, "tokenizePrompt", { body }, options);
  }
}
