/**
 * Why a delivery was refused.
 *
 * @example
 * const reason: WebhookFailure = "timestamp_out_of_tolerance";
 */
export type WebhookFailure =
  | "missing_headers"
  | "invalid_timestamp"
  | "timestamp_out_of_tolerance"
  | "invalid_secret"
  | "no_matching_signature"
  | "invalid_payload";

/**
 * A webhook delivery that does not verify: answer it 400 and do not act on it.
 *
 * @example
 * try {
 *   const event = await verifyWebhook({ secret, headers: request.headers, body });
 * } catch (error) {
 *   if (isSdgateWebhookError(error)) return new Response(error.reason, { status: 400 });
 *   throw error;
 * }
 */
export class SdgateWebhookError extends Error {
  override readonly name = "SdgateWebhookError";
  readonly reason: WebhookFailure;

  constructor(reason: WebhookFailure, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reason = reason;
  }
}

/**
 * True for an {@link SdgateWebhookError}.
 *
 * @example
 * if (isSdgateWebhookError(error)) console.log(error.reason);
 */
export function isSdgateWebhookError(value: unknown): value is SdgateWebhookError {
  return (
    value instanceof SdgateWebhookError || (value as { name?: unknown } | null)?.name === "SdgateWebhookError"
  );
}
