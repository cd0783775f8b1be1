import type { KeyDetail } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { keyWithLimits } from "../../keys/service.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { onOperation } from "../operation.ts";
import { keyIdParam, notFound, publicKey } from "./view.ts";

/** `GET /admin/keys/{id}` → one key, with what is left of its limits now (`remaining`). */
export function registerGetKey(app: Hono<AppEnv>): void {
  onOperation(app, "getKey", adminGuard("getKey"), adminAudit("key.get", { key: "path" }), async (c) => {
    const id = keyIdParam(c);
    const found = await keyWithLimits(c.var.config, id);
    if (!found) throw notFound(id);
    const { limits } = found;
    const detail: KeyDetail = {
      ...publicKey(found.key),
      // What is left right now, as the key's RateLimit headers would say it.
      remaining:
        limits === null
          ? null
          : {
              requests: limits.requestsRemaining,
              requests_reset_seconds: limits.requestsResetS,
              concurrency: Math.max(0, limits.limits.concurrency - limits.inFlight),
              in_flight: limits.inFlight,
              credits: limits.creditsRemaining,
            },
    };
    return c.json(detail);
  });
}
