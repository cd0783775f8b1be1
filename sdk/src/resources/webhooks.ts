import type { WebhookSecret } from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * `GET /v1/webhooks/secret` (`getWebhookSecret`).
 *
 * @example
 * const { key } = await client.webhooks.secret();
 */
export class Webhooks {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * The secret (`whsec_…`) this key's webhooks are signed with, for {@link verifyWebhook}.
   *
   * @example
   * const { key } = await client.webhooks.secret();
   * const event = await verifyWebhook({ secret: key, headers: request.headers, body: await request.text() });
   */
  async secret(options: RequestOptions = {}): Promise<WebhookSecret> {
    return callOperation(this.#transport, "getWebhookSecret", {}, options);
  }
}
