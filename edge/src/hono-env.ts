import type { ApiKey } from "./api-keys.ts";
import type { EdgeConfig, Env } from "./env.ts";
import type { PendingKey } from "./middleware/auth/key-state-check.ts";

/** The Hono environment of the edge app: the raw Worker env and what middleware puts on the context. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: EdgeConfig;
    /** Set by the auth middleware: the key's current scopes and limits, from its Durable Object. */
    apiKey: ApiKey;
    /** Set by the auth middleware with `deferredKeyCheck`: the key its Durable Object has yet to confirm. */
    pendingKey: PendingKey;
  };
}
