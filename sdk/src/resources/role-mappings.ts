import type {
  CreateRoleMappingBody,
  DeprovisionedGroup,
  RoleMappingChangeView,
  RoleMappingList,
  UpdateRoleMappingBody,
} from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * The rules that give an identity provider's groups roles, with the admin token: `listRoleMappings`,
 * `createRoleMapping`, `updateRoleMapping`, `deleteRoleMapping`, and `deprovisionGroup`. A change
 * applies at once to the people whose groups (at their last sign-in) include the rule's.
 *
 * @example
 * const admin = new Sdgate({ baseUrl, adminToken });
 * await admin.roleMappings.create({ idp_group: "ml-eng", team_id: "team_…", role: "developer" });
 */
export class RoleMappings {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Every rule, by group.
   *
   * @example
   * const { data } = await admin.roleMappings.list();
   */
  async list(options: RequestOptions = {}): Promise<RoleMappingList> {
    return callOperation(this.#transport, "listRoleMappings", {}, options);
  }

  /**
   * Adds a rule: members of `idp_group` get `role` in `team_id` (absent or `null`: everywhere). A 409
   * if the group has a rule for that scope already. Never retried on a lost answer.
   *
   * @example
   * const { id, people_changed } = await admin.roleMappings.create({ idp_group: "sre", role: "viewer" });
   */
  async create(body: CreateRoleMappingBody, options: RequestOptions = {}): Promise<RoleMappingChangeView> {
    return callOperation(this.#transport, "createRoleMapping", { body }, options);
  }

  /**
   * Changes the role a rule gives.
   *
   * @example
   * await admin.roleMappings.update("map_…", { role: "team_admin" });
   */
  async update(
    id: string,
    body: UpdateRoleMappingBody,
    options: RequestOptions = {},
  ): Promise<RoleMappingChangeView> {
    return callOperation(this.#transport, "updateRoleMapping", { id, body }, options);
  }

  /**
   * Deletes a rule; what it gave ends at once.
   *
   * @example
   * await admin.roleMappings.delete("map_…");
   */
  async delete(id: string, options: RequestOptions = {}): Promise<RoleMappingChangeView> {
    return callOperation(this.#transport, "deleteRoleMapping", { id }, options);
  }

  /**
   * Removes an identity provider's group from sdgate: deletes its rules, ends what it gave at once and
   * signs out the people it leaves with no membership.
   *
   * @example
   * const { sessions_ended } = await admin.roleMappings.deprovisionGroup("contractors");
   */
  async deprovisionGroup(idpGroup: string, options: RequestOptions = {}): Promise<DeprovisionedGroup> {
    return callOperation(this.#transport, "deprovisionGroup", { body: { idp_group: idpGroup } }, options);
  }
}
