import { DurableObject } from "cloudflare:workers";
import ipaddr from "ipaddr.js";

/**
 * Distinct unknown API keys one address may present in a window; past it, it is refused until the
 * window ends. Distinct, because each new one is what costs a D1 query and what guessing looks like;
 * a client repeating one wrong key (a stale config) costs neither and is answered 401 every time.
 */
export const MAX_AUTH_FAILURES = 20;
/** The window failed authentications are counted in, and so the longest an address is refused. */
export const AUTH_FAILURE_WINDOW_MS = 5 * 60_000;

/** What {@link AuthFailures.fail} answers: the failures in the current window, and the refusal they earned. */
export interface FailureCount {
  /** Distinct unknown keys this window. */
  failures: number;
  /** Until when (Unix ms) the address is refused; `null` while under {@link MAX_AUTH_FAILURES}. */
  blockedUntilMs: number | null;
}

interface FailureWindow {
  startMs: number;
  /** The start of each distinct key's hash, up to one past the limit. */
  keys: string[];
}

const WINDOW_KEY = "window";
/** Hex digits of a key's hash kept to tell keys apart: 64 bits, ample for a few dozen keys. */
const KEY_PREFIX_CHARS = 16;

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
 * One address's failed authentications (`getByName(addressBucket(ip))`): the distinct unknown keys it
 * presented in a fixed window of {@link AUTH_FAILURE_WINDOW_MS}. Only failures reach it (the auth
 * middleware calls it after a key was not found), so a request with a good key never costs a call
 * here. Its storage is deleted when the window ends, so an address that stops failing leaves nothing
 * behind.
 *
 * @example
 * const { blockedUntilMs } = await env.AUTH_FAILURES.getByName(addressBucket(ip)).fail(hashHex);
 */
export class AuthFailures extends DurableObject<unknown> {
  /** Counts one failure from this address: the unknown key whose SHA-256 is `keyHashHex`. */
  async fail(keyHashHex: string): Promise<FailureCount> {
    const nowMs = Date.now();
    const key = keyHashHex.slice(0, KEY_PREFIX_CHARS);
    let window = this.ctx.storage.kv.get<FailureWindow>(WINDOW_KEY);
    if (window === undefined || nowMs >= window.startMs + AUTH_FAILURE_WINDOW_MS) {
      window = { startMs: nowMs, keys: [] };
      await this.ctx.storage.setAlarm(nowMs + AUTH_FAILURE_WINDOW_MS);
    }
    if (!window.keys.includes(key) && window.keys.length <= MAX_AUTH_FAILURES) {
      window = { startMs: window.startMs, keys: [...window.keys, key] };
      this.ctx.storage.kv.put(WINDOW_KEY, window);
    }
    const failures = window.keys.length;
    return {
      failures,
      blockedUntilMs: failures >= MAX_AUTH_FAILURES ? window.startMs + AUTH_FAILURE_WINDOW_MS : null,
    };
  }

  override async alarm(): Promise<void> {
    const current = this.ctx.storage.kv.get<FailureWindow>(WINDOW_KEY);
    const endMs = current === undefined ? 0 : current.startMs + AUTH_FAILURE_WINDOW_MS;
    if (Date.now() < endMs) await this.ctx.storage.setAlarm(endMs);
    else await this.ctx.storage.deleteAll();
  }
}
