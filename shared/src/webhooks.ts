/**
 * Webhook deliveries as the Standard Webhooks specification (standardwebhooks.com) defines them: the
 * edge signs with these headers, and any receiver (the SDK's verifier, the specification's own
 * libraries) reads them. The signature is `v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`.
 */
export const WEBHOOK_HEADERS = {
  id: "webhook-id",
  /** Unix seconds. */
  timestamp: "webhook-timestamp",
  /** One or more space-separated `v1,<base64>` signatures. */
  signature: "webhook-signature",
} as const;

/** How a webhook secret is written: `whsec_` and the key's bytes in base64. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";

/** How far a delivery's timestamp may be from the receiver's clock (the specification's suggestion). */
export const WEBHOOK_TOLERANCE_S = 300;
