import type { RequestOptions, Transport } from "../http/transport.ts";
import type { WebhookSecret } from "../wire/loose.ts";
import { jsonObject } from "../wire/object.ts";

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
   * The secret (`whsec_…`) this key's webhooks are signed with, for {@link verifyWebhook}. Typed loosely:
   * the contract has no schema for it yet.
   *
   * @example
   * const { key } = await client.webhooks.secret();
   * const event = await verifyWebhook({ secret: key, headers: request.headers, body: await request.text() });
   */
  async secret(options: RequestOptions = {}): Promise<WebhookSecret> {
    const spec = {
      method: "GET",
      path: "/v1/webhooks/secret",
      credential: "apiKey",
      idempotent: true,
    } as const;
    return (await this.#transport.json(spec, jsonObject<WebhookSecret>, options)).data;
  }
}
