import type {
  CreateKeyBody,
  KeyDetail,
  KeyList,
  KeyListQuery,
  KeyView,
  KeyWithSecret,
  RevokedKey,
  RotateKeyBody,
  UpdateKeyBody,
} from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * API keys, with the admin token: `createKey`, `listKeys`, `getKey`, `updateKey`, `revokeKey`, `rotateKey`.
 *
 * @example
 * const admin = new Sdgate({ baseUrl, adminToken });
 * const { key, id } = await admin.keys.create({ name: "ci", limits: { requests_per_minute: 60 } });
 */
export class Keys {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Makes a key; its secret (`key`) is in this answer only. Never retried on a lost answer: a second
   * try would make a second key.
   *
   * @example
   * const created = await admin.keys.create({ name: "contractor", models: ["sd15"], expires_at: "2027-01-31T00:00:00Z" });
   * console.log(created.key); // sk_…, shown this once
   */
  async create(body: CreateKeyBody, options: RequestOptions = {}): Promise<KeyWithSecret> {
    return callOperation(this.#transport, "createKey", { body }, options);
  }

  /**
   * One page of keys, newest first, without secrets, only those that pass the filters given (team,
   * status, text in the name, id or prefix, maker), filtered on the server so each page is full; pass
   * `next_cursor` as `cursor`, with the same filters, for the next.
   *
   * @example
   * const page = await admin.keys.list({ team_id: "team_…", status: "active", limit: 50 });
   * const next = page.next_cursor && (await admin.keys.list({ team_id: "team_…", status: "active", cursor: page.next_cursor }));
   */
  async list(query: KeyListQuery = {}, options: RequestOptions = {}): Promise<KeyList> {
    return callOperation(this.#transport, "listKeys", { query }, options);
  }

  /**
   * One key and what is left of its limits right now (`remaining`).
   *
   * @example
   * const { remaining } = await admin.keys.get("key_…");
   */
  async get(id: string, options: RequestOptions = {}): Promise<KeyDetail> {
    return callOperation(this.#transport, "getKey", { id }, options);
  }

  /**
   * Changes the fields named, from the key's next request on; `null` clears one. Retried like a GET:
   * it sets values rather than adding to them.
   *
   * @example
   * await admin.keys.update("key_…", { limits: { requests_per_minute: 120 }, models: null });
   */
  async update(id: string, body: UpdateKeyBody, options: RequestOptions = {}): Promise<KeyView> {
    return callOperation(this.#transport, "updateKey", { id, body }, options);
  }

  /**
   * Revokes the key everywhere at once; revoking it again answers the same.
   *
   * @example
   * await admin.keys.revoke("key_…");
   */
  async revoke(id: string, options: RequestOptions = {}): Promise<RevokedKey> {
    return callOperation(this.#transport, "revokeKey", { id }, options);
  }

  /**
   * A new secret for the key; the old one keeps working for `grace_seconds` (default a day). Never
   * retried on a lost answer: a second rotation would replace the secret the first one made.
   *
   * @example
   * const rotated = await admin.keys.rotate("key_…", { grace_seconds: 3600 });
   * console.log(rotated.key, rotated.previous_key_expires_at);
   */
  async rotate(id: string, body: RotateKeyBody = {}, options: RequestOptions = {}): Promise<KeyWithSecret> {
    return callOperation(this.#transport, "rotateKey", { id, body }, options);
  }
}
