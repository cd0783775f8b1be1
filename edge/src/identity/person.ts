import { type Principal, permissionsOf } from "@sdgate/shared";
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import type { AppEnv } from "../hono-env.ts";
import { log } from "../log.ts";
import { accessGroups } from "./access/access-groups.ts";
import { ACCESS_JWT_HEADER, verifyAccessJwt } from "./access/access-jwt.ts";
import { findUserByIdentity, grantsFor, membershipsOf, rulesFor, signIn } from "./directory/index.ts";
import { userPrincipal } from "./principal.ts";
import { readSession } from "./sessions/index.ts";

/**
 * The session cookie. On https it carries the `__Host-` prefix, which browsers accept only with
 * `Secure`, `Path=/` and no `Domain`: no subdomain can plant or read it. `npm start` serves http on
 * loopback, where the prefix cannot be used.
 */
export function sessionCookieName(url: string): string {
  return new URL(url).protocol === "https:" ? "__Host-sdgate_session" : "sdgate_session";
}

/** A person (or an Access service token) and how they showed who they are. */
export interface PersonCredential {
  principal: Principal;
  /**
   * `session` (our cookie) and `access_cookie` (Access's `CF_Authorization`, which browsers send to
   * every path) ride along with any request a browser makes, so a state-changing one must prove it
   * came from this origin; `access` is Access's header, which only Cloudflare's proxy adds.
   */
  via: "session" | "access" | "access_cookie";
}

/** Access's cookie: the same application token as its header, for the browser's own requests. */
const ACCESS_COOKIE = "CF_Authorization";

// An Access user's record is refreshed (name, email) at most this often, not on every request.
const ACCESS_REFRESH_MS = 60 * 60 * 1000;

/** An Access service token: it holds what role mappings give the group `service:<Client ID>`. */
async function servicePrincipal(db: D1Database, clientId: string): Promise<Principal> {
  const group = `service:${clientId}`;
  const grants = grantsFor(await rulesFor(db, [group]), [group]);
  return {
    object: "principal",
    kind: "service",
    id: clientId,
    name: null,
    email: null,
    teams: grants.flatMap((g) => (g.team_id === null ? [] : [{ id: g.team_id, name: null, role: g.role }])),
    roles: grants.flatMap((g) => (g.team_id === null ? [g.role] : [])),
    permissions: permissionsOf(grants.map((g) => g.role)),
  };
}

async function accessPerson(
  c: Context<AppEnv>,
  token: string,
  via: "access" | "access_cookie",
): Promise<PersonCredential | null> {
  const { access } = c.var.config.identity;
  if (access === null) return null;
  const verified = await verifyAccessJwt(access, token);
  if (!verified.ok) {
    log.warn("access token refused", { request_id: c.var.requestId, reason: verified.reason });
    return null;
  }
  const db = c.var.config.db;
  const { identity } = verified;
  if (identity.kind === "service") return { principal: await servicePrincipal(db, identity.clientId), via };
  const known = await findUserByIdentity(db, access.issuer, identity.subject);
  const fresh =
    known !== null && Date.now() - Date.parse(known.last_sign_in_at ?? known.created_at) < ACCESS_REFRESH_MS;
  if (known !== null && fresh) {
    if (known.disabled_at !== null) return null;
    return { principal: userPrincipal(known, await membershipsOf(db, known.id)), via };
  }
  // Access's application token carries no groups: they are asked of Access's identity endpoint
  // (at first sight and hourly after), so the role mappings apply as they do after an OIDC sign-in.
  const groups = (await accessGroups(access, token)) ?? known?.idp_groups ?? [];
  const signedIn = await signIn(db, {
    issuer: access.issuer,
    subject: identity.subject,
    email: identity.email,
    name: known?.name ?? null,
    groups,
  });
  if (!signedIn.ok) return null;
  return { principal: userPrincipal(signedIn.value.user, signedIn.value.memberships), via };
}

/**
 * The person behind a request without an `Authorization` header: the session cookie, else (where
 * Cloudflare Access is configured) Access's assertion, from its header or its `CF_Authorization`
 * cookie. `null` when none holds a live identity.
 *
 * @example
 * const person = await personOf(c); // null → 401
 */
export async function personOf(c: Context<AppEnv>): Promise<PersonCredential | null> {
  const secret = getCookie(c, sessionCookieName(c.req.url));
  if (secret !== undefined) {
    const active = await readSession(c.var.config.db, secret);
    if (active !== null) return { principal: userPrincipal(active.user, active.memberships), via: "session" };
  }
  if (c.var.config.identity.access === null) return null;
  const header = c.req.header(ACCESS_JWT_HEADER);
  if (header !== undefined) return accessPerson(c, header, "access");
  // Access covers only the browser paths (the Studio, sign-in); the Studio's calls to the API carry
  // the same token in Access's cookie, set for the whole hostname.
  const cookie = getCookie(c, ACCESS_COOKIE);
  return cookie === undefined ? null : accessPerson(c, cookie, "access_cookie");
}
