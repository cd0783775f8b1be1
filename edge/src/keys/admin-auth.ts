import { SdgateError, utf8 } from "@sdgate/shared";
import type { Context, MiddlewareHandler } from "hono";

export interface AdminAuthOptions<E extends object> {
  /** The admin token, per request (e.g. `c.var.config.adminToken`); `null` closes the admin API. */
  token: (c: Context<E>) => string | null;
}

const CHALLENGE = 'Bearer realm="sdgate-admin"';

function unauthorized(code: "missing_api_key" | "invalid_api_key", message: string): SdgateError {
  return new SdgateError(code, message, { headers: { "WWW-Authenticate": CHALLENGE } });
}

async function digest(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", utf8(text));
}

/**
 * Whether `presented` equals `expected`, in time that depends on neither: both are hashed (SHA-256)
 * to 32 bytes first, so their lengths leak nothing, and the digests are compared with the runtime's
 * constant-time `crypto.subtle.timingSafeEqual`.
 */
export async function tokensMatch(presented: string, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(presented), digest(expected)]);
  return crypto.subtle.timingSafeEqual(a, b);
}

/**
 * Checks `Authorization: Bearer <admin token>` on the admin API (`SDGATE_ADMIN_TOKEN`). Throws 401
 * `missing_api_key` without a token and `invalid_api_key` for a wrong one (or when no admin token is
 * configured). Never logs or echoes what was presented.
 *
 * @example
 * app.use("/admin/*", adminAuth({ token: (c) => c.var.config.adminToken }));
 */
export function adminAuth<E extends object>(options: AdminAuthOptions<E>): MiddlewareHandler<E> {
  return async function adminAuth(c, next) {
    const header = c.req.header("Authorization");
    if (header === undefined || header.trim() === "") {
      throw unauthorized(
        "missing_api_key",
        "No admin token provided. Send it as 'Authorization: Bearer <token>'.",
      );
    }
    const presented = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    const expected = options.token(c);
    if (expected === null) {
      throw unauthorized("invalid_api_key", "The admin API is disabled: SDGATE_ADMIN_TOKEN is not set.");
    }
    if (presented === undefined || !(await tokensMatch(presented, expected))) {
      throw unauthorized("invalid_api_key", "Invalid admin token.");
    }
    await next();
  };
}
