import { SdgateError, type SignedOut, signOutBodySchema } from "@sdgate/shared";
import type { Hono } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../../hono-env.ts";
import { checkSameOrigin } from "../../identity/guard.ts";
import { logoutUrl } from "../../identity/oidc/index.ts";
import { sessionCookieName } from "../../identity/person.ts";
import { userPrincipal } from "../../identity/principal.ts";
import { readSession, revokeAllSessions, revokeSession } from "../../identity/sessions/index.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody } from "../admin-body.ts";
import { onOperation } from "../operation.ts";
import { clearSessionCookie } from "./cookies.ts";

/**
 * `POST /auth/logout` `{ everywhere? }`: ends this session, or (`everywhere: true`) every session of
 * this person on every device, and clears the cookie. From this origin's pages only. Answers where
 * the provider's own sign-out is (OIDC), for the page to go on to.
 */
export function registerSignOut(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "signOut",
    adminAudit("session.end", { requirePrincipal: true }),
    limitAdminBody,
    async (c) => {
      const db = c.var.config.db;
      const secret = getCookie(c, sessionCookieName(c.req.url));
      const active = secret === undefined ? null : await readSession(db, secret);
      if (secret === undefined || active === null) {
        clearSessionCookie(c);
        throw new SdgateError("missing_api_key", "No session to end: you are signed out.");
      }
      checkSameOrigin(c);
      const { everywhere } = await parseJsonBody(c, signOutBodySchema);
      c.set("principal", userPrincipal(active.user, active.memberships));
      const ended = everywhere
        ? await revokeAllSessions(db, active.user.id)
        : (await revokeSession(db, secret)) === null
          ? 0
          : 1;
      clearSessionCookie(c);
      noteAudit(c, { detail: { everywhere, sessions_ended: ended } });
      const { oidc } = c.var.config.identity;
      const provider = oidc !== null && active.user.issuer === oidc.issuer ? await logoutUrl(oidc) : null;
      const body: SignedOut = { object: "signed_out", sessions_ended: ended, provider_logout_url: provider };
      return c.json(body, 200, { "Cache-Control": "no-store" });
    },
  );
}
