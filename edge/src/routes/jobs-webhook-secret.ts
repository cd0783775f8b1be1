import { SdgateError, type WebhookSecret } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { authorize, keyAuth } from "../keys/authorize.ts";
import { webhookSecretFor } from "../webhooks/secret.ts";
import { WEBHOOK_HEADERS } from "../webhooks/signature.ts";
import { onOperation } from "./operation.ts";

/**
 * `GET /v1/webhooks/secret`: the calling API key's webhook signing secret (`whsec_…`, Standard
 * Webhooks), with which its receivers verify `webhook-signature`. Derived, not stored, so it can be
 * fetched again; needs the `generate` scope (the scope that can ask for webhooks).
 */
export function registerJobsWebhookSecret(app: Hono<AppEnv>): void {
  onOperation(app, "getWebhookSecret", keyAuth("getWebhookSecret", { deferred: true }), async (c) => {
    await authorize(c, { cost: null });
    const serverSecret = c.var.config.jobs.webhookSecret;
    if (serverSecret === null) throw new SdgateError("not_found", "Webhooks are not enabled on this server.");
    const secret: WebhookSecret = {
      object: "webhook.secret",
      key: await webhookSecretFor(serverSecret, c.var.apiKey.id),
      headers: Object.values(WEBHOOK_HEADERS),
    };
    return c.json(secret);
  });
}
