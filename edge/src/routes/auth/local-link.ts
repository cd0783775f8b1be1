import {
  checkLocalSignInToken,
  localSignInQuerySchema,
  SdgateError,
  signInQuerySchema,
} from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { addMember, findUserByIdentity } from "../../identity/directory/index.ts";
import { safeReturnTo } from "../../identity/oidc/index.ts";
import { adminAudit } from "../../middleware/admin-audit/index.ts";
import { onOperation } from "../operation.ts";
import { startSession } from "./start-session.ts";

/** The local admin `npm start`'s link signs in: one person, known to no identity provider. */
export const LOCAL_ADMIN = {
  issuer: "sdgate:local",
  subject: "admin",
  email: "admin@localhost",
  name: "Local admin",
};

// The link's token, and where to land as the OpenID sign-in takes it (`return_to`, a path on this site).
const linkQuerySchema = localSignInQuerySchema.extend(signInQuerySchema.shape);

function linkRefused(): SdgateError {
  // One answer for forged, expired and used links: a link is either good or it is not.
  return new SdgateError(
    "invalid_api_key",
    "This sign-in link is not valid any more; restart `npm start` for a new one.",
  );
}

/**
 * `GET /auth/local?token=…`: the one-time link `npm start` prints (with `SDGATE_LOCAL_SIGN_IN=true`
 * only; a 404 everywhere else). The token must be signed with `SDGATE_SIGN_IN_SECRET`, unexpired
 * (15 minutes) and unused: its nonce is recorded in D1 before the session starts, so a second click
 * is refused. It signs in the local admin (a global `admin`) and lands on `return_to` (`/` without
 * one): `npm start` prints the link with `return_to=/studio/`. A `return_to` that could lead off this
 * origin is a 400 before the token is looked at, so it does not use the link up.
 */
export function registerLocalSignIn(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "useLocalSignInLink",
    adminAudit("session.create", { requirePrincipal: true }),
    async (c) => {
      const { localSignIn, signInSecret } = c.var.config.identity;
      if (!localSignIn || signInSecret === null)
        throw new SdgateError("not_found", "Local sign-in links are off here.");
      const query = linkQuerySchema.safeParse(c.req.query());
      if (!query.success) throw linkRefused();
      const returnTo = safeReturnTo(query.data.return_to ?? "/");
      if (returnTo === null) {
        throw new SdgateError("invalid_request", "return_to must be a path on this site, such as /studio/.", {
          param: "return_to",
        });
      }
      const checked = await checkLocalSignInToken(signInSecret, query.data.token);
      if (!checked.ok) throw linkRefused();
      const db = c.var.config.db;
      const used = await db
        .prepare(
          "INSERT INTO used_sign_in_links (nonce, used_at, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(checked.nonce, new Date().toISOString(), new Date(checked.expiresAtMs).toISOString())
        .run();
      if (used.meta.changes !== 1) throw linkRefused();
      const known = await findUserByIdentity(db, LOCAL_ADMIN.issuer, LOCAL_ADMIN.subject);
      if (known === null) {
        const { user } = await startSession(c, { ...LOCAL_ADMIN, groups: [] });
        // The first time: make the local admin an admin (later sign-ins keep it: it is granted by hand).
        const granted = await addMember(db, { user_id: user.id, team_id: null, role: "admin" });
        if (!granted.ok)
          throw new SdgateError("internal_error", "The local admin could not be made an admin.");
      } else {
        await startSession(c, { ...LOCAL_ADMIN, groups: [] });
      }
      c.header("Cache-Control", "no-store");
      return c.redirect(returnTo, 302);
    },
  );
}
