import { OPERATIONS, SdgateError, signInQuerySchema } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../../hono-env.ts";
import {
  beginLogin,
  completeLogin,
  type OidcConfig,
  type OidcFailure,
  oidcFailure,
  PENDING_LOGIN_TTL_MS,
  sealPending,
  unsealPending,
} from "../../identity/oidc/index.ts";
import { log } from "../../log.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { onOperation } from "../operation.ts";
import { clearPendingCookie, pendingCookieName, setPendingCookie } from "./cookies.ts";
import { startSession } from "./start-session.ts";

function oidcOf(c: Context<AppEnv>): { oidc: OidcConfig; secret: string } {
  const { oidc, signInSecret } = c.var.config.identity;
  if (oidc === null || signInSecret === null) {
    throw new SdgateError("not_found", "Sign-in through an OpenID Connect provider is not configured here.");
  }
  return { oidc, secret: signInSecret };
}

const FAILURE_CODE = {
  400: "invalid_request",
  401: "invalid_api_key",
  403: "insufficient_scope",
  502: "backend_error",
} as const;

/** A failed sign-in as the error envelope: the failure's safe message; its cause goes to the log only. */
function refused(c: Context<AppEnv>, failure: OidcFailure): SdgateError {
  log.warn("oidc sign-in refused", {
    request_id: c.var.requestId,
    code: failure.code,
    provider_error: failure.providerError,
    cause: failure.cause instanceof Error ? failure.cause.message : null,
  });
  return new SdgateError(FAILURE_CODE[failure.status], failure.message);
}

/**
 * `GET /auth/oidc/login?return_to=/studio` → 302 to the provider, with the sign-in's PKCE verifier,
 * state and nonce sealed (AES-GCM under `SDGATE_SIGN_IN_SECRET`) in a 10-minute cookie.
 * `GET /auth/oidc/callback` → the provider's answer checked against that cookie, the person signed
 * in (their groups mapped to roles), a session cookie set, and a 302 back to `return_to`.
 */
export function registerOidcSignIn(app: Hono<AppEnv>): void {
  onOperation(app, "startOidcSignIn", async (c) => {
    const { oidc, secret } = oidcOf(c);
    const query = signInQuerySchema.safeParse(c.req.query());
    if (!query.success)
      throw new SdgateError("invalid_request", "Only return_to may be given.", { param: "return_to" });
    const redirectUri = new URL(OPERATIONS.completeOidcSignIn.path, c.req.url).href;
    const { authorizationUrl, pending } = await beginLogin(oidc, {
      redirectUri,
      ...(query.data.return_to === undefined ? {} : { returnTo: query.data.return_to }),
    });
    setPendingCookie(c, await sealPending(pending, secret), Math.floor(PENDING_LOGIN_TTL_MS / 1000));
    c.header("Cache-Control", "no-store");
    return c.redirect(authorizationUrl, 302);
  });

  onOperation(
    app,
    "completeOidcSignIn",
    adminAudit("session.create", { requirePrincipal: true }),
    async (c) => {
      const { oidc, secret } = oidcOf(c);
      const sealed = getCookie(c, pendingCookieName(c.req.url));
      // Whatever happens next, this sign-in's cookie has done its one job.
      clearPendingCookie(c);
      if (sealed === undefined) throw refused(c, oidcFailure("pending_invalid"));
      const unsealed = await unsealPending(sealed, secret);
      if (!unsealed.ok) throw refused(c, oidcFailure(unsealed.reason));
      const login = await completeLogin(oidc, c.req.url, unsealed.pending);
      if (!login.ok) throw refused(c, login.failure);
      const { identity } = login;
      await startSession(c, {
        issuer: identity.issuer,
        subject: identity.subject,
        email: identity.email,
        name: identity.name,
        groups: identity.groups,
      });
      c.header("Cache-Control", "no-store");
      return c.redirect(unsealed.pending.returnTo, 302);
    },
  );
}
