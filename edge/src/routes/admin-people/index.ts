import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { registerDeprovisionPerson } from "./deprovision.ts";
import { registerEnablePerson } from "./enable.ts";
import { registerGetPerson } from "./get.ts";
import { registerListPeople } from "./list.ts";

/**
 * The admin API for people (`/admin/people`), one file per endpoint: people come from sign-in, so
 * there is no create; removing one is deprovisioning. Every call is audited, a change with its
 * before and after.
 */
export function registerAdminPeople(app: Hono<AppEnv>): void {
  registerListPeople(app);
  registerGetPerson(app);
  registerDeprovisionPerson(app);
  registerEnablePerson(app);
}
