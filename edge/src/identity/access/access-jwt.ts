import { createRemoteJWKSet, customFetch, errors, type FetchImplementation, jwtVerify } from "jose";
import type { AccessConfig } from "./access-config.ts";

/** The header Access puts on every request it lets through to the origin. */
export const ACCESS_JWT_HEADER = "Cf-Access-Jwt-Assertion";

/**
 * Who Access let through: a person who signed in at the team's identity provider, or a service
 * token (`common_name` is its Client ID; such tokens carry no subject or email).
 */
export type AccessIdentity =
  | { kind: "user"; subject: string; email: string; country: string | null }
  | { kind: "service"; clientId: string };

/** Why a token was refused: logged, never sent to the client beyond "invalid Access token". */
export type AccessRefusal =
  | "malformed"
  | "signature"
  | "expired"
  | "claims"
  | "unknown_key"
  | "keys_unavailable";

export type AccessVerification =
  | { ok: true; identity: AccessIdentity }
  | { ok: false; reason: AccessRefusal };

type KeySet = ReturnType<typeof createRemoteJWKSet>;
const NETWORK = {};
const keySetsByFetch = new WeakMap<object, Map<string, KeySet>>();

/**
 * The team's signing keys, one set per isolate (and per `fetchKeys`, for tests): jose keeps them 10
 * minutes, and a token signed with a key it has not seen (Access rotates every 6 weeks; the old key
 * stays valid 7 more days) makes it fetch again, at most once every 30 s, so made-up key ids cannot
 * flood the certs endpoint.
 */
function keySetFor(config: AccessConfig, fetchKeys: FetchImplementation | undefined): KeySet {
  const owner = fetchKeys ?? NETWORK;
  let sets = keySetsByFetch.get(owner);
  if (sets === undefined) {
    sets = new Map();
    keySetsByFetch.set(owner, sets);
  }
  let keySet = sets.get(config.certsUrl);
  if (keySet === undefined) {
    const options = fetchKeys === undefined ? {} : { [customFetch]: fetchKeys };
    keySet = createRemoteJWKSet(new URL(config.certsUrl), { timeoutDuration: 5_000, ...options });
    sets.set(config.certsUrl, keySet);
  }
  return keySet;
}

function refusalOf(error: unknown): AccessRefusal {
  // Not jose's: the certs could not be fetched (network, DNS, a non-200 answer).
  if (!(error instanceof errors.JOSEError)) return "keys_unavailable";
  if (error instanceof errors.JWTExpired) return "expired";
  if (error instanceof errors.JWTClaimValidationFailed) return "claims";
  if (error instanceof errors.JWKSNoMatchingKey) return "unknown_key";
  if (error instanceof errors.JWSSignatureVerificationFailed) return "signature";
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) return "keys_unavailable";
  return "malformed";
}

/**
 * Verifies an Access application token: RS256 signature against the team's keys, `iss` the team,
 * `aud` one of the application's tags, `exp`/`nbf` with a minute's clock skew. `fetchKeys` replaces
 * the network fetch of the certs (tests; an isolate-wide cache is used otherwise).
 *
 * @example
 * const verified = await verifyAccessJwt(config, request.headers.get(ACCESS_JWT_HEADER) ?? "");
 * if (verified.ok && verified.identity.kind === "user") console.log(verified.identity.email);
 */
export async function verifyAccessJwt(
  config: AccessConfig,
  token: string,
  fetchKeys?: FetchImplementation,
): Promise<AccessVerification> {
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keySetFor(config, fetchKeys), {
      issuer: config.issuer,
      audience: config.audiences,
      algorithms: ["RS256"],
      clockTolerance: 60,
      requiredClaims: ["exp", "iat"],
    }));
  } catch (error) {
    return { ok: false, reason: refusalOf(error) };
  }
  const subject = typeof payload.sub === "string" ? payload.sub : "";
  const email = typeof payload.email === "string" ? payload.email : "";
  if (subject !== "" && email !== "") {
    const country = typeof payload.country === "string" ? payload.country : null;
    return { ok: true, identity: { kind: "user", subject, email, country } };
  }
  // A service token's assertion: an empty subject and its Client ID as `common_name`.
  const clientId = typeof payload.common_name === "string" ? payload.common_name : "";
  if (subject === "" && clientId !== "") return { ok: true, identity: { kind: "service", clientId } };
  return { ok: false, reason: "claims" };
}
