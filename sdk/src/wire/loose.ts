/*
 * Shapes of routes that have no schema in the contract (@sdgate/shared) at all. They are typed here
 * from the edge's routes as they stand (edge/src/routes/*), and checked at run time only to be a JSON
 * object: an edge that changes them is not caught by a schema, as it would be for a contract type.
 * Each should become a schema in shared/, which the edge answers through and the SDK parses with; the
 * file each belongs beside is named on each.
 */

/**
 * `GET /v1/webhooks/secret` (edge/src/routes/jobs-webhook-secret.ts). Belongs in shared/src/jobs.ts.
 *
 * @example
 * const { key }: WebhookSecret = await client.webhooks.secret();
 */
export interface WebhookSecret {
  object: "webhook.secret";
  /** `whsec_<base64>`: what {@link verifyWebhook} takes. */
  key: string;
  /** The headers a delivery carries (`webhook-id`, `webhook-timestamp`, `webhook-signature`). */
  headers: string[];
}

/**
 * `GET /healthz`.
 *
 * @example
 * const health: Health = await client.health();
 */
export interface Health {
  status: "ok";
}
