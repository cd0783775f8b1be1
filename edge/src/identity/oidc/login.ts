import { SdgateError } from "@sdgate/shared";
import * as oauth from "oauth4webapi";
import type { OidcConfig } from "./config.ts";
import { discover, forgetSigningKeys, requestOptions } from "./discovery.ts";
import { failureOf, type OidcFailure, oidcFailure } from "./failures.ts";
import { type PendingLogin, safeReturnTo } from "./pending.ts";

/** Who signed in, as the provider vouched for them. */
export interface OidcIdentity {
  issuer: string;
  /** `sub`: stable and unique within the issuer; the pair is the person's key, never the email. */
  subject: string;
  email: string | null;
  /** Only a verified address may be matched to an existing person by email. */
  emailVerified: boolean;
  name: string | null;
  /** The groups claim's strings; empty when the provider sent none. */
  groups: string[];
}

export type OidcLogin =
  | {
      ok: true;
      identity: OidcIdentity;
      /** Kept with the session for {@link logoutUrl}'s `id_token_hint`. */
      idToken: string;
    }
  | { ok: false; failure: OidcFailure };

function providerUnavailable(cause: unknown): SdgateError {
  return new SdgateError(
    "backend_unavailable",
    "The identity provider could not be reached; try again shortly.",
    {
      cause,
    },
  );
}

/**
 * Starts a sign-in: the provider's authorization URL (code flow with PKCE S256, `state` and
 * `nonce`; OpenID Connect Core 1.0 section 3.1.2.1) and what must come back with the browser. The
 * caller keeps `pending` where only this browser can present it (sealed: see `sealPending`).
 * Throws a 400 naming `return_to` when `returnTo` could lead off this origin, and a 503 when the
 * provider's discovery document cannot be had.
 *
 * @example
 * const { authorizationUrl, pending } = await beginLogin(config, {
 *   redirectUri: new URL("/auth/oidc/callback", c.req.url).href,
 *   returnTo: c.req.query("return_to") ?? "/",
 * });
 */
export async function beginLogin(
  config: OidcConfig,
  options: { redirectUri: string; returnTo?: string },
  nowMs = Date.now(),
): Promise<{ authorizationUrl: string; pending: PendingLogin }> {
  const returnTo = safeReturnTo(options.returnTo ?? "/");
  if (returnTo === null) {
    throw new SdgateError("invalid_request", "return_to must be a path on this site, such as /studio/.", {
      param: "return_to",
    });
  }
  let server: oauth.AuthorizationServer;
  try {
    server = await discover(config, nowMs);
  } catch (error) {
    throw providerUnavailable(error);
  }
  if (server.authorization_endpoint === undefined) throw providerUnavailable("no authorization_endpoint");
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const pending: PendingLogin = {
    issuer: config.issuer,
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    codeVerifier,
    redirectUri: options.redirectUri,
    returnTo,
    createdAtMs: nowMs,
  };
  const url = new URL(server.authorization_endpoint);
  url.searchParams.set("client_id", config.clientId);
  url.searchParams.set("redirect_uri", options.redirectUri);
  url.searchParams.set("response_type", "code");
  url.searchParams.set("scope", config.scopes);
  url.searchParams.set("state", pending.state);
  url.searchParams.set("nonce", pending.nonce);
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(codeVerifier));
  url.searchParams.set("code_challenge_method", "S256");
  return { authorizationUrl: url.href, pending };
}

// RFC 6749 section 2.3.1 makes Basic the method every provider must support; `_post` only when the
// provider says it takes nothing else.
function clientAuth(config: OidcConfig, server: oauth.AuthorizationServer): oauth.ClientAuth {
  const methods = server.token_endpoint_auth_methods_supported;
  if (
    methods !== undefined &&
    !methods.includes("client_secret_basic") &&
    methods.includes("client_secret_post")
  ) {
    return oauth.ClientSecretPost(config.clientSecret);
  }
  return oauth.ClientSecretBasic(config.clientSecret);
}

/** Checks the ID token's signature against the provider's keys, fetching them again once for a new key. */
async function verifySignature(config: OidcConfig, server: oauth.AuthorizationServer, token: Response) {
  try {
    await oauth.validateApplicationLevelSignature(server, token, requestOptions(config));
  } catch (error) {
    if (!(error instanceof oauth.OperationProcessingError && error.code === oauth.KEY_SELECTION)) throw error;
    await oauth.validateApplicationLevelSignature(
      forgetSigningKeys(config, server),
      token,
      requestOptions(config),
    );
  }
}

function text(claims: Record<string, unknown>, name: string): string | null {
  const value = claims[name];
  return typeof value === "string" && value !== "" ? value : null;
}

/** The groups claim by its name (`https://acme.com/groups` included), else as a dotted path (`realm_access.roles`). */
function groupsOf(claims: Record<string, unknown>, claim: string): string[] | null {
  let value: unknown = claims[claim];
  if (value === undefined && claim.includes(".")) {
    value = claim
      .split(".")
      .reduce<unknown>(
        (at, part) => (typeof at === "object" && at !== null ? Reflect.get(at, part) : undefined),
        claims,
      );
  }
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) return null;
  return value.filter((group): group is string => typeof group === "string" && group !== "");
}

/**
 * Finishes a sign-in from the URL the provider sent the browser back to: checks `state` against
 * `pending` and the provider's `iss` (RFC 9207), exchanges the code with the PKCE verifier, checks
 * the ID token (issuer, audience, expiry, nonce, and its signature against the provider's keys),
 * then reads email, name and groups from the ID token, asking userinfo for whatever it lacks.
 * Expected failures come back as values (see {@link OidcFailure}); nothing here throws for them.
 *
 * @example
 * const login = await completeLogin(config, new URL(c.req.url), opened.pending);
 * if (!login.ok) return c.json({ error: login.failure.message }, login.failure.status);
 */
export async function completeLogin(
  config: OidcConfig,
  callbackUrl: URL | string,
  pending: PendingLogin,
): Promise<OidcLogin> {
  const callback = new URL(callbackUrl);
  if (pending.issuer !== config.issuer) return { ok: false, failure: oidcFailure("pending_invalid") };
  if (callback.searchParams.get("state") !== pending.state) {
    return { ok: false, failure: oidcFailure("state_mismatch") };
  }
  try {
    const server = await discover(config);
    const client: oauth.Client = { client_id: config.clientId };
    const params = oauth.validateAuthResponse(server, client, callback, pending.state);
    const response = await oauth.authorizationCodeGrantRequest(
      server,
      client,
      clientAuth(config, server),
      params,
      pending.redirectUri,
      pending.codeVerifier,
      requestOptions(config),
    );
    const tokens = await oauth.processAuthorizationCodeResponse(server, client, response, {
      expectedNonce: pending.nonce,
      requireIdToken: true,
    });
    await verifySignature(config, server, response);
    const idClaims = oauth.getValidatedIdTokenClaims(tokens);
    if (idClaims === undefined || typeof tokens.id_token !== "string") {
      return { ok: false, failure: oidcFailure("token_invalid", "no ID token") };
    }
    let userinfo: Record<string, unknown> = {};
    const lacking =
      text(idClaims, "email") === null ||
      text(idClaims, "name") === null ||
      groupsOf(idClaims, config.groupsClaim) === null;
    if (lacking && server.userinfo_endpoint !== undefined) {
      const answer = await oauth.userInfoRequest(server, client, tokens.access_token, requestOptions(config));
      // processUserInfoResponse refuses an answer about another subject (OIDC Core section 5.3.4).
      userinfo = { ...(await oauth.processUserInfoResponse(server, client, idClaims.sub, answer)) };
    }
    // Each claim from the ID token where it has one; email_verified from wherever the email came.
    const emailFrom = text(idClaims, "email") !== null ? idClaims : userinfo;
    return {
      ok: true,
      idToken: tokens.id_token,
      identity: {
        issuer: idClaims.iss,
        subject: idClaims.sub,
        email: text(emailFrom, "email"),
        emailVerified: emailFrom.email_verified === true,
        name: text(idClaims, "name") ?? text(userinfo, "name"),
        groups: groupsOf(idClaims, config.groupsClaim) ?? groupsOf(userinfo, config.groupsClaim) ?? [],
      },
    };
  } catch (error) {
    return { ok: false, failure: failureOf(error) };
  }
}
