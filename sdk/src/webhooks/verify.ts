import {
  WEBHOOK_HEADERS,
  WEBHOOK_SECRET_PREFIX,
  WEBHOOK_TOLERANCE_S,
  type WebhookPayload,
  webhookPayloadSchema,
} from "@sdgate/shared";
import { SdgateWebhookError } from "../errors/webhook-error.ts";
import { fromBase64 } from "./base64.ts";

/**
 * How far a delivery's timestamp may be from this clock, either way: the Standard Webhooks suggestion.
 *
 * @example
 * await verifyWebhook({ secret, headers, body, toleranceS: 2 * DEFAULT_WEBHOOK_TOLERANCE_S });
 */
export const DEFAULT_WEBHOOK_TOLERANCE_S = WEBHOOK_TOLERANCE_S;

/**
 * Headers as `fetch` gives them, or as Node's `IncomingMessage#headers` does.
 *
 * @example
 * const headers: WebhookHeaders = { "webhook-id": "msg_1", "webhook-timestamp": "1780000000", "webhook-signature": "v1,…" };
 */
export type WebhookHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * What `verifyWebhook` checks.
 *
 * @example
 * const input: VerifyWebhookInput = { secret: "whsec_…", headers: request.headers, body: await request.text() };
 */
export interface VerifyWebhookInput {
  /** The key's secret, `whsec_<base64>` (`client.webhooks.secret()`); the bare base64 works too. */
  secret: string;
  headers: WebhookHeaders;
  /** The body exactly as received: the signature is over its bytes, so never a re-serialised object. */
  body: string | Uint8Array;
  /** Default {@link DEFAULT_WEBHOOK_TOLERANCE_S}. */
  toleranceS?: number;
  /** Unix seconds; this clock's by default. */
  nowS?: number;
}

const encoder = new TextEncoder();

function header(headers: WebhookHeaders, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return typeof value === "string" ? value : value.join(", ");
  }
  return null;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** Equal bytes, in time that depends on the length only, so a forger learns nothing from how long a refusal took. */
function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let difference = 0;
  for (let index = 0; index < a.byteLength; index++)
    difference |= (a[index] as number) ^ (b[index] as number);
  return difference === 0;
}

/**
 * Checks a delivery's signature as Standard Webhooks defines it (standardwebhooks.com, and the edge's
 * edge/src/webhooks/signature.ts): `webhook-signature` holds one or more space-separated `v1,<base64>`
 * entries (several during a secret rotation), each an HMAC-SHA256 under the secret of
 * `{webhook-id}.{webhook-timestamp}.{body}`; the timestamp must be within `toleranceS` of now, which
 * bounds replays. Throws {@link SdgateWebhookError} unless it holds. WebCrypto only, so it runs
 * wherever the client does. For a receiver that reads the body itself; {@link verifyWebhook} also parses it.
 *
 * @example
 * await verifyWebhookSignature({ secret, headers: request.headers, body: rawBody });
 */
export async function verifyWebhookSignature(input: VerifyWebhookInput): Promise<void> {
  const id = header(input.headers, WEBHOOK_HEADERS.id);
  const timestamp = header(input.headers, WEBHOOK_HEADERS.timestamp);
  const signatures = header(input.headers, WEBHOOK_HEADERS.signature);
  if (!id || !timestamp || !signatures) {
    throw new SdgateWebhookError(
      "missing_headers",
      "The delivery lacks webhook-id, webhook-timestamp or webhook-signature.",
    );
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    throw new SdgateWebhookError("invalid_timestamp", "webhook-timestamp is not unix seconds.");
  }
  const nowS = input.nowS ?? Math.floor(Date.now() / 1000);
  const toleranceS = input.toleranceS ?? DEFAULT_WEBHOOK_TOLERANCE_S;
  if (Math.abs(nowS - Number(timestamp)) > toleranceS) {
    throw new SdgateWebhookError(
      "timestamp_out_of_tolerance",
      `webhook-timestamp is more than ${toleranceS} s from now: a replay, or a clock that is off.`,
    );
  }
  const secretBytes = fromBase64(
    input.secret.startsWith(WEBHOOK_SECRET_PREFIX)
      ? input.secret.slice(WEBHOOK_SECRET_PREFIX.length)
      : input.secret,
  );
  if (secretBytes === null || secretBytes.byteLength === 0) {
    throw new SdgateWebhookError("invalid_secret", "The secret is not whsec_ followed by base64.");
  }
  const key = await crypto.subtle.importKey("raw", secretBytes, { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const body = typeof input.body === "string" ? encoder.encode(input.body) : input.body;
  const expected = new Uint8Array(
    await crypto.subtle.sign("HMAC", key, concat(encoder.encode(`${id}.${timestamp}.`), body)),
  );
  let matched = false;
  for (const entry of signatures.split(" ")) {
    const [version, encoded] = entry.split(",", 2);
    const candidate = version === "v1" && encoded ? fromBase64(encoded) : null;
    // Every entry is compared, so where a match stands in the header does not show in the timing.
    if (candidate !== null && constantTimeEqual(candidate, expected)) matched = true;
  }
  if (!matched) {
    throw new SdgateWebhookError(
      "no_matching_signature",
      "No v1 signature in webhook-signature matches the secret.",
    );
  }
}

/**
 * Verifies a delivery ({@link verifyWebhookSignature}) and answers with its payload: the ended job
 * and, for a succeeded one, its images as signed links. Receivers should drop a `webhook-id` they
 * have already handled: every retry of one delivery keeps its id.
 *
 * @example
 * // A Worker (or Deno, or Bun) receiving sdgate's webhooks:
 * const body = await request.text();
 * const event = await verifyWebhook({ secret: env.SDGATE_WHSEC, headers: request.headers, body });
 * if (event.type === "job.succeeded") console.log(event.data.result?.data[0]?.url);
 */
export async function verifyWebhook(input: VerifyWebhookInput): Promise<WebhookPayload> {
  await verifyWebhookSignature(input);
  let json: unknown;
  try {
    json = JSON.parse(typeof input.body === "string" ? input.body : new TextDecoder().decode(input.body));
  } catch (error) {
    throw new SdgateWebhookError("invalid_payload", "The signed body is not JSON.", { cause: error });
  }
  const payload = webhookPayloadSchema.safeParse(json);
  if (!payload.success) {
    throw new SdgateWebhookError("invalid_payload", "The signed body is not a job webhook this SDK knows.", {
      cause: payload.error,
    });
  }
  return payload.data;
}
