import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { registerCreateKey } from "./create.ts";
import { registerGetKey } from "./get.ts";
import { registerListKeys } from "./list.ts";
import { registerRevokeKey } from "./revoke.ts";
import { registerRotateKey } from "./rotate.ts";
import { registerUpdateKey } from "./update.ts";

/**
 * The admin API for keys (bearer `SDGATE_ADMIN_TOKEN`), one file per endpoint; every call is
 * appended to the audit chain (`adminAudit`), whether it succeeds or not. Bodies: `bodies.ts`.
 */
export function registerAdminKeys(app: Hono<AppEnv>): void {
  registerCreateKey(app);
  registerListKeys(app);
  registerGetKey(app);
  registerUpdateKey(app);
  registerRevokeKey(app);
  registerRotateKey(app);
}
