import type {
  DeprovisionedPerson,
  DeprovisionPersonBody,
  Person,
  PersonList,
  PersonListQuery,
} from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * People who have signed in (through the identity provider or Cloudflare Access), with the admin
 * token: `listPeople`, `getPerson`, `deprovisionPerson`, `enablePerson`. People are made by signing
 * in, never here.
 *
 * @example
 * const admin = new Sdgate({ baseUrl, adminToken });
 * const [ada] = (await admin.people.list({ email: "ada@example.com" })).data;
 */
export class People {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * One page of people, newest first, with their groups and memberships; pass `next_cursor` as
   * `cursor` for the next.
   *
   * @example
   * const page = await admin.people.list({ limit: 50 });
   */
  async list(query: PersonListQuery = {}, options: RequestOptions = {}): Promise<PersonList> {
    return callOperation(this.#transport, "listPeople", { query }, options);
  }

  /**
   * One person (`usr_…`).
   *
   * @example
   * const { memberships, disabled_at } = await admin.people.get("usr_0f1e2d3c4b5a6978");
   */
  async get(id: string, options: RequestOptions = {}): Promise<Person> {
    return callOperation(this.#transport, "getPerson", { id }, options);
  }

  /**
   * Removes a person: disables them, ends every session of theirs at once, and revokes the keys they
   * made, unless `reassign_keys_to` (a global admin, or a team admin of each key's team) takes them
   * over. Safe to retry.
   *
   * @example
   * const { keys_revoked } = await admin.people.deprovision("usr_…");
   * await admin.people.deprovision("usr_…", { reassign_keys_to: "usr_…" });
   */
  async deprovision(
    id: string,
    body: DeprovisionPersonBody = {},
    options: RequestOptions = {},
  ): Promise<DeprovisionedPerson> {
    return callOperation(this.#transport, "deprovisionPerson", { id, body }, options);
  }

  /**
   * Lets a deprovisioned person sign in again, with the memberships they had; their revoked keys stay
   * revoked.
   *
   * @example
   * await admin.people.enable("usr_…");
   */
  async enable(id: string, options: RequestOptions = {}): Promise<Person> {
    return callOperation(this.#transport, "enablePerson", { id }, options);
  }
}
