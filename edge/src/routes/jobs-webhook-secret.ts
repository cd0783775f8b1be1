import { SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import { apiKeyStore } from "../api-keys.ts";
import type { AppEnv } from "../hono-env.ts";
import { authorize } from "../limits/index.ts";
import { auth, deferredKeyCheck } from "../middleware/auth/index.ts";
import { requireRouteScope } from "../middleware/auth/route-scopes.ts";
import { webhookSecretFor } from "../webhooks/secret.ts";
import { WEBHOOK_HEADERS } from "../webhooks/signature.ts";

/**
 * `GET /v1/webhooks/secret`: the calling API key's webhook signing secret (`whsec_…`, Standard
 * Webhooks), with which its receivers verify `webhook-signature`. Derived, not stored, so it can be
 * fetched again; needs the `generate` scope (the scope that can ask for webhooks).
 */
export function registerJobsWebhookSecret(app: Hono<AppEnv>): void {
  app.get(
    "/v1/webhooks/secret",
    auth<AppEnv>({ store: (c) => apiKeyStore(c.var.config), check: deferredKeyCheck }),
    async (c) => {
      await authorize(c, { scope: null, cost: null });
      requireRouteScope(c, "GET /v1/webhooks/secret");
      const serverSecret = c.var.config.jobs.webhookSecret;
      if (serverSecret === null)
        throw new SdgateError("not_found", "Webhooks are not enabled on this server.");
      return c.json({
        object: "webhook.secret",
        key: await webhookSecretFor(serverSecret, c.var.apiKey.id),
        headers: Object.values(WEBHOOK_HEADERS),
      });
    },
  );
}
