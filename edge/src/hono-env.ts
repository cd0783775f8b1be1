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
    /** Set by `keyAuth(route, { deferred: true })`: the key its Durable Object has yet to confirm. */
    pendingKey: PendingKey;
  };
}
