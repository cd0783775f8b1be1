import type { Principal } from "@sdgate/shared";
import type { EdgeConfig, Env } from "./env.ts";
import type { ApiKey } from "./keys/api-key.ts";
import type { PendingKey } from "./keys/key-check.ts";

/** The Hono environment of the edge app: the raw Worker env and what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: EdgeConfig;
    /** Set by the auth middleware: the key's current scopes and limits, from its Durable Object. */
    apiKey: ApiKey;
    /** Set by `adminGuard` (and `/v1/me`): who is calling, for the permission check and the audit row. */
    principal: Principal;
    /** Set by `keyAuth(route, { deferred: true })`: the key its Durable Object has yet to confirm. */
    pendingKey: PendingKey;
    /** Set by an admin route's handler (`noteAudit`): what its audit row adds to the action and status. */
    auditNote: {
      /** The key acted on, when the route's path or query does not name it (a key just created). */
      keyId?: string;
      detail?: Record<string, string | number | boolean | null>;
    };
  };
}
