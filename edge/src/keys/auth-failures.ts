import { DurableObject } from "cloudflare:workers";
import ipaddr from "ipaddr.js";

/** Unknown API keys one address may present in a window; past it, it is refused until the window ends. */
export const MAX_AUTH_FAILURES = 20;
/** The window failed authentications are counted in, and so the longest an address is refused. */
export const AUTH_FAILURE_WINDOW_MS = 5 * 60_000;

/** What {@link AuthFailures.fail} answers: the failures in the current window, and the refusal they earned. */
export interface FailureCount {
  failures: number;
  /** Until when (Unix ms) the address is refused; `null` while under {@link MAX_AUTH_FAILURES}. */
  blockedUntilMs: number | null;
}

interface FailureWindow {
  startMs: number;
  failures: number;
}

const WINDOW_KEY = "window";

/**
 * What failures from `ip` (`CF-Connecting-IP`) are counted under: an IPv4 address itself; an IPv6
 * address's /64, the smallest network an ISP hands one customer, which any one host there can fill
 * with addresses. An IPv4 address written as IPv6 (`::ffff:192.0.2.1`) counts as the IPv4 one.
 *
 * @example
 * addressBucket("2001:db8:1:2::7"); // "2001:db8:1:2::/64"
 */
export function addressBucket(ip: string): string {
  const text = ip.trim();
  if (!ipaddr.isValid(text)) return `other:${text.slice(0, 64)}`;
  const address = ipaddr.process(text);
  if (address.kind() === "ipv4") return address.toString();
  const prefix = (address as ipaddr.IPv6).parts.slice(0, 4).map((part) => part.toString(16));
  return `${prefix.join(":")}::/64`;
}

/**
 * One address's failed authentications (`getByName(addressBucket(ip))`), counted in a fixed window
 * of {@link AUTH_FAILURE_WINDOW_MS}. Only failures reach it (the auth middleware calls it after a key
 * was not found), so a request with a good key never costs a call here. Its storage is deleted when
 * the window ends, so an address that stops failing leaves nothing behind.
 *
 * @example
 * const { blockedUntilMs } = await env.AUTH_FAILURES.getByName(addressBucket(ip)).fail();
 */
export class AuthFailures extends DurableObject {
  /** Counts one failure from this address. */
  async fail(): Promise<FailureCount> {
    const nowMs = Date.now();
    const current = this.ctx.storage.kv.get<FailureWindow>(WINDOW_KEY);
    let window: FailureWindow;
    if (current === undefined || nowMs >= current.startMs + AUTH_FAILURE_WINDOW_MS) {
      window = { startMs: nowMs, failures: 1 };
      await this.ctx.storage.setAlarm(nowMs + AUTH_FAILURE_WINDOW_MS);
    } else {
      window = { startMs: current.startMs, failures: current.failures + 1 };
    }
    this.ctx.storage.kv.put(WINDOW_KEY, window);
    return {
      failures: window.failures,
      blockedUntilMs: window.failures >= MAX_AUTH_FAILURES ? window.startMs + AUTH_FAILURE_WINDOW_MS : null,
    };
  }

  override async alarm(): Promise<void> {
    const current = this.ctx.storage.kv.get<FailureWindow>(WINDOW_KEY);
    const endMs = current === undefined ? 0 : current.startMs + AUTH_FAILURE_WINDOW_MS;
    if (Date.now() < endMs) await this.ctx.storage.setAlarm(endMs);
    else await this.ctx.storage.deleteAll();
  }
}
