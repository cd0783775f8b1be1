import type { CreatedShare, CreateShareBody, Share, SharedView, ShareList } from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * Share links: signed, expiring, revocable, read-only views of the team's runs, comparisons and grids,
 * opened by anyone holding the link.
 *
 * @example
 * const { url } = await client.shares.create({ layout: { kind: "comparison", runs: [a.id, b.id] } });
 */
export class Shares {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Shares a run, a comparison or a grid of the team's runs (default 7 days, at most 90); the link is
   * in the answer this once.
   *
   * @example
   * const share = await client.shares.create({ layout: { kind: "run", run: run.id }, expires_in_days: 30 });
   */
  async create(body: CreateShareBody, options: RequestOptions = {}): Promise<CreatedShare> {
    return callOperation(this.#transport, "createShare", { body }, options);
  }

  /**
   * The team's shares, newest first, each active, expired or revoked.
   *
   * @example
   * const active = (await client.shares.list()).data.filter((share) => share.status === "active");
   */
  async list(options: RequestOptions = {}): Promise<ShareList> {
    return callOperation(this.#transport, "listShares", {}, options);
  }

  /**
   * Revokes a share: its link stops working at once.
   *
   * @example
   * await client.shares.revoke("shr_…");
   */
  async revoke(id: string, options: RequestOptions = {}): Promise<Share> {
    return callOperation(this.#transport, "revokeShare", { id }, options);
  }

  /**
   * What a share link shows, by its token (no credential needed): the runs' recipes, their images
   * through signed links, and the layout.
   *
   * @example
   * const view = await new Sdgate({ baseUrl }).shares.get(token);
   */
  async get(token: string, options: RequestOptions = {}): Promise<SharedView> {
    return callOperation(this.#transport, "getShared", { id: token }, options);
  }
}
