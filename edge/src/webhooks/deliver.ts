import { signWebhook } from "./signature.ts";

/**
 * When each retry of a failed delivery is due, after the previous attempt: Standard Webhooks'
 * suggested schedule, with the first retry sooner (1 s) so a receiver that blinked is not kept
 * waiting. After the last, the delivery is given up (the job itself stays readable).
 */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [
  1_000,
  5_000,
  5 * 60_000,
  30 * 60_000,
  2 * 3_600_000,
  5 * 3_600_000,
  10 * 3_600_000,
];

export const WEBHOOK_TIMEOUT_MS = 10_000;

/** The next attempt's time after `attempts` failed ones, or `null` when there is none left. */
export function nextWebhookAttemptMs(attempts: number, nowMs: number): number | null {
  const delay = WEBHOOK_RETRY_DELAYS_MS[attempts - 1];
  return delay === undefined ? null : nowMs + delay;
}

export interface Delivery {
  url: string;
  /** The same for every attempt of one message, so receivers can drop duplicates. */
  messageId: string;
  body: string;
  secret: string;
}

/**
 * One signed POST of a webhook message. `ok` on any 2xx; anything else (including no answer within
 * {@link WEBHOOK_TIMEOUT_MS}) is worth a retry. Redirects are not followed: the receiver's address is
 * the one the client gave. Never throws.
 *
 * @example
 * const { ok } = await deliverWebhook({ url, messageId: `msg_${jobId}`, body, secret });
 */
export async function deliverWebhook(
  delivery: Delivery,
  nowMs = Date.now(),
): Promise<{ ok: boolean; status: number | null }> {
  try {
    const headers = await signWebhook(delivery.secret, {
      id: delivery.messageId,
      timestampS: Math.floor(nowMs / 1000),
      body: delivery.body,
    });
    const response = await fetch(delivery.url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "sdgate-webhooks/1", ...headers },
      body: delivery.body,
      redirect: "manual",
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return { ok: response.status >= 200 && response.status < 300, status: response.status };
  } catch {
    return { ok: false, status: null };
  }
}
