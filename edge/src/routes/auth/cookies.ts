import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../hono-env.ts";
import { sessionCookieName } from "../../identity/person.ts";
import { DEFAULT_SESSION_POLICY } from "../../identity/sessions/index.ts";

/** A sign-in in progress (sealed PKCE verifier, state, nonce): only the callback reads it. */
export function pendingCookieName(url: string): string {
  return new URL(url).protocol === "https:" ? "__Host-sdgate_oidc" : "sdgate_oidc";
}

// HttpOnly: no script reads them. Lax: sent on the provider's top-level redirect back, not on
// another site's subrequests. Secure wherever the page is https (always, but for `npm start`).
function attributes(c: Context<AppEnv>, maxAgeS: number) {
  const secure = new URL(c.req.url).protocol === "https:";
  return { path: "/", httpOnly: true, secure, sameSite: "Lax" as const, maxAge: maxAgeS };
}

/** Sets the session cookie, living as long as the session may (its absolute expiry). */
export function setSessionCookie(c: Context<AppEnv>, secret: string): void {
  const maxAgeS = Math.floor(DEFAULT_SESSION_POLICY.absoluteMs / 1000);
  setCookie(c, sessionCookieName(c.req.url), secret, attributes(c, maxAgeS));
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, sessionCookieName(c.req.url), attributes(c, 0));
}

export function setPendingCookie(c: Context<AppEnv>, sealed: string, maxAgeS: number): void {
  setCookie(c, pendingCookieName(c.req.url), sealed, attributes(c, maxAgeS));
}

export function clearPendingCookie(c: Context<AppEnv>): void {
  deleteCookie(c, pendingCookieName(c.req.url), attributes(c, 0));
}
