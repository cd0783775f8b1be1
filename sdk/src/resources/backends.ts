import { type Fleet, fleetSchema } from "@sdgate/shared";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * `GET /admin/backends` (`listBackends`), with the admin token.
 *
 * @example
 * const fleet = await admin.backends.list();
 */
export class Backends {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * The fleet: each backend with its breaker, last probe and load.
   *
   * @example
   * for (const backend of (await admin.backends.list()).backends) console.log(backend.name, backend.breaker.state);
   */
  async list(options: RequestOptions = {}): Promise<Fleet> {
    const spec = {
      method: "GET",
      path: "/admin/backends",
      credential: "adminToken",
      idempotent: true,
    } as const;
    return (await this.#transport.json(spec, (json) => fleetSchema.parse(json), options)).data;
  }
}
