import { SdgateError } from "@sdgate/shared";
import type { Context } from "hono";
import type { AppEnv } from "../../hono-env.ts";
import { type SignedIn, signIn, type VerifiedIdentity } from "../../identity/directory/index.ts";
import { userPrincipal } from "../../identity/principal.ts";
import { createSession, MAX_USER_AGENT_CHARS } from "../../identity/sessions/index.ts";
import { clientIpOf } from "../../keys/key-check.ts";
import { noteAudit } from "../../middleware/admin-audit/index.ts";
import { setSessionCookie } from "./cookies.ts";

/**
 * Signs a verified identity in: records the person (their groups mapped to roles afresh), starts a
 * session, sets its cookie, and puts the person on the context for the audit row. A disabled person
 * is refused (403) with nothing started.
 *
 * @example
 * await startSession(c, { issuer, subject, email, name, groups });
 * return c.redirect(returnTo, 302);
 */
export async function startSession(c: Context<AppEnv>, identity: VerifiedIdentity): Promise<SignedIn> {
  const db = c.var.config.db;
  const signedIn = await signIn(db, identity);
  if (!signedIn.ok) {
    throw new SdgateError(
      signedIn.error === "disabled" ? "insufficient_scope" : "invalid_request",
      signedIn.error === "disabled"
        ? "This account is disabled here; ask an administrator."
        : "The identity provider named no subject.",
    );
  }
  const { user, memberships, before } = signedIn.value;
  const userAgent = c.req.header("User-Agent")?.slice(0, MAX_USER_AGENT_CHARS) ?? null;
  const session = await createSession(db, user.id, { userAgent, ip: clientIpOf(c) });
  if (!session.ok)
    throw new SdgateError("insufficient_scope", "This account is disabled here; ask an administrator.");
  setSessionCookie(c, session.value.secret);
  c.set("principal", userPrincipal(user, memberships));
  // Sign-in recomputes the roles the groups give: the row keeps them before and after.
  const roles = (list: readonly { team_id: string | null; role: string }[]) =>
    list.map((m) => `${m.team_id ?? "*"}:${m.role}`).join(",");
  noteAudit(c, {
    detail: {
      issuer: identity.issuer,
      groups: identity.groups.join(","),
      roles_before: before.user === null ? null : roles(before.memberships),
      roles: roles(memberships),
    },
  });
  return signedIn.value;
}
