import { SdgateError } from "@sdgate/shared";
import { hostReach } from "../../webhooks/url.ts";

/** Sign-in through an OpenID Connect provider, as the Worker's vars describe it. */
export interface OidcConfig {
  /** The provider's issuer identifier, exactly as its discovery document must repeat it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Space-separated, `openid` among them. */
  scopes: string;
  /** Where a person's groups are: a claim name (`groups`, `https://acme.com/groups`) or a dotted path (`realm_access.roles`). */
  groupsClaim: string;
  /** `http://` to a loopback issuer is accepted (tests and local development only). */
  allowLoopback: boolean;
}

/**
 * The OIDC vars:
 * - `SDGATE_OIDC_ISSUER`: the issuer URL, `https://` (its discovery document is at
 *   `{issuer}/.well-known/openid-configuration`).
 * - `SDGATE_OIDC_CLIENT_ID`, `SDGATE_OIDC_CLIENT_SECRET` (secret): the confidential client sdgate is
 *   registered as, with the callback route as its redirect URI.
 * - `SDGATE_OIDC_SCOPES`: optional, default {@link DEFAULT_OIDC_SCOPES}; add `groups` where the provider
 *   releases groups only under that scope (Okta, Authentik).
 * - `SDGATE_OIDC_GROUPS_CLAIM`: optional, default `groups`.
 * - `SDGATE_OIDC_ALLOW_LOOPBACK`: optional, `"true"` admits an `http://` issuer on 127.0.0.0/8, ::1
 *   or localhost (tests, local development).
 */
export interface OidcVars {
  SDGATE_OIDC_ISSUER?: string | undefined;
  SDGATE_OIDC_CLIENT_ID?: string | undefined;
  SDGATE_OIDC_CLIENT_SECRET?: string | undefined;
  SDGATE_OIDC_SCOPES?: string | undefined;
  SDGATE_OIDC_GROUPS_CLAIM?: string | undefined;
  SDGATE_OIDC_ALLOW_LOOPBACK?: string | undefined;
}

// Providers differ in which extra scopes they accept (Google refuses `groups`), so only the standard ones.
export const DEFAULT_OIDC_SCOPES = "openid email profile";
export const DEFAULT_OIDC_GROUPS_CLAIM = "groups";

const REQUIRED = ["SDGATE_OIDC_ISSUER", "SDGATE_OIDC_CLIENT_ID", "SDGATE_OIDC_CLIENT_SECRET"] as const;
const OPTIONAL = ["SDGATE_OIDC_SCOPES", "SDGATE_OIDC_GROUPS_CLAIM"] as const;
// RFC 6749 section 3.3: scope tokens are printable ASCII without space, `"` or `\`.
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
// RFC 6749 appendix A.1 (client_id) and A.2 (client_secret): printable ASCII.
const CLIENT_TEXT = /^[\x20-\x7e]+$/;

function invalid(name: string, message: string): SdgateError {
  return new SdgateError("internal_error", `The server is misconfigured: ${name} ${message}.`);
}

function issuerOf(text: string, allowLoopback: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid("SDGATE_OIDC_ISSUER", "must be an absolute URL such as https://login.acme.com");
  }
  // OpenID Connect Discovery 1.0 section 2: an https URL with no query or fragment.
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") {
    throw invalid("SDGATE_OIDC_ISSUER", "must have no query, fragment or credentials");
  }
  const loopback = hostReach(url.hostname) === "loopback";
  if (url.protocol === "http:" && loopback && !allowLoopback) {
    throw invalid("SDGATE_OIDC_ISSUER", "may use http:// only with SDGATE_OIDC_ALLOW_LOOPBACK=true");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    throw invalid("SDGATE_OIDC_ISSUER", "must be an https:// URL");
  }
  // The issuer is compared as a string with the discovery document's `issuer`: keep the operator's text.
  return text;
}

/**
 * Reads the OIDC settings: issuer, client id and secret all set, or none (OIDC sign-in is then off).
 * Throws a 500 {@link SdgateError} naming the variable when they are half set or malformed; the
 * message never includes a value.
 *
 * @example
 * const oidc = oidcConfigOf(env); // null when SDGATE_OIDC_ISSUER and its companions are unset
 */
export function oidcConfigOf(vars: OidcVars): OidcConfig | null {
  const value = (name: keyof OidcVars) => vars[name]?.trim() ?? "";
  const set = REQUIRED.filter((name) => value(name) !== "");
  if (set.length === 0) {
    const stray = OPTIONAL.find((name) => value(name) !== "");
    if (stray !== undefined) throw invalid(stray, "is set but SDGATE_OIDC_ISSUER is not");
    return null;
  }
  const missing = REQUIRED.find((name) => value(name) === "");
  if (missing !== undefined) throw invalid(missing, `must be set with ${set.join(" and ")}`);
  const flag = value("SDGATE_OIDC_ALLOW_LOOPBACK");
  if (flag !== "" && flag !== "true" && flag !== "false") {
    throw invalid("SDGATE_OIDC_ALLOW_LOOPBACK", 'must be "true" or "false"');
  }
  const allowLoopback = flag === "true";
  for (const name of ["SDGATE_OIDC_CLIENT_ID", "SDGATE_OIDC_CLIENT_SECRET"] as const) {
    if (!CLIENT_TEXT.test(value(name))) throw invalid(name, "must be printable ASCII");
  }
  const scopes = (value("SDGATE_OIDC_SCOPES") || DEFAULT_OIDC_SCOPES).split(/\s+/);
  if (!scopes.every((scope) => SCOPE_TOKEN.test(scope))) {
    throw invalid("SDGATE_OIDC_SCOPES", "must be space-separated scope names");
  }
  if (!scopes.includes("openid")) throw invalid("SDGATE_OIDC_SCOPES", "must include openid");
  return {
    issuer: issuerOf(value("SDGATE_OIDC_ISSUER"), allowLoopback),
    clientId: value("SDGATE_OIDC_CLIENT_ID"),
    clientSecret: value("SDGATE_OIDC_CLIENT_SECRET"),
    scopes: [...new Set(scopes)].join(" "),
    groupsClaim: value("SDGATE_OIDC_GROUPS_CLAIM") || DEFAULT_OIDC_GROUPS_CLAIM,
    allowLoopback,
  };
}
