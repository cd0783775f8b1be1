import type { ModelList } from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * `GET /v1/models` (`listModels`).
 *
 * @example
 * const { data } = await client.models.list();
 */
export class Models {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * The models this key may use (OpenAI's list), each with its defaults and limits.
   *
   * @example
   * const ids = (await client.models.list()).data.map((model) => model.id); // ["tiny", …]
   */
  async list(options: RequestOptions = {}): Promise<ModelList> {
    return callOperation(this.#transport, "listModels", {}, options);
  }
}
