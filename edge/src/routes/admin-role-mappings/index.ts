import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { registerCreateRoleMapping } from "./create.ts";
import { registerDeleteRoleMapping } from "./delete.ts";
import { registerDeprovisionGroup } from "./deprovision-group.ts";
import { registerListRoleMappings } from "./list.ts";
import { registerUpdateRoleMapping } from "./update.ts";

/**
 * The admin API for the rules that map an identity provider's groups to roles
 * (`/admin/role-mappings`), and for removing a group (`/admin/groups/deprovision`), one file per
 * endpoint. A change applies to people at once; every call is audited, a change with its before and
 * after.
 */
export function registerAdminRoleMappings(app: Hono<AppEnv>): void {
  registerListRoleMappings(app);
  registerCreateRoleMapping(app);
  registerUpdateRoleMapping(app);
  registerDeleteRoleMapping(app);
  registerDeprovisionGroup(app);
}
