import * as oauth from "oauth4webapi";
import type { UnsealFailure } from "./pending.ts";

/**
 * Why a sign-in did not complete. Each is a person's or a provider's doing, not a bug, so each is a
 * value with a status and a message fit to show; `cause` is for the log only.
 */
export type OidcFailureCode =
  | UnsealFailure
  /** The callback's `state` is not the one this browser set out with (CSRF, or another tab's sign-in). */
  | "state_mismatch"
  /** The provider sent the person back with `error=…` (`access_denied` when they cancelled or were refused). */
  | "provider_error"
  /** The provider would not exchange the code: used already, expired, or the PKCE verifier does not match. */
  | "code_rejected"
  /** The ID token or the callback failed a check: issuer, audience, expiry, nonce, signature, subject. */
  | "token_invalid"
  /** The provider could not be reached, timed out, or answered 5xx. */
  | "provider_unavailable";

export interface OidcFailure {
  code: OidcFailureCode;
  status: 400 | 401 | 403 | 502;
  message: string;
  /** The provider's `error` code (RFC 6749 section 4.1.2.1) for `provider_error`, else null. */
  providerError: string | null;
  cause?: unknown;
}

const MESSAGES: Record<OidcFailureCode, string> = {
  pending_invalid: "The sign-in could not be matched to this browser; start again.",
  pending_expired: "The sign-in took too long; start again.",
  state_mismatch: "The sign-in could not be matched to this browser; start again.",
  provider_error: "The identity provider did not sign you in.",
  code_rejected: "The identity provider refused the sign-in code; start again.",
  token_invalid: "The identity provider's answer failed verification.",
  provider_unavailable: "The identity provider could not be reached; try again shortly.",
};

// RFC 6749 appendix A.7: an error code is printable ASCII without `"` or `\`; ours are shorter still.
const ERROR_CODE = /^[a-z0-9_.-]{1,64}$/i;

function statusOf(code: OidcFailureCode, providerError: string | null): OidcFailure["status"] {
  switch (code) {
    case "pending_invalid":
    case "pending_expired":
    case "state_mismatch":
    case "code_rejected":
      return 400;
    case "provider_error":
      return providerError === "access_denied" ? 403 : 400;
    case "token_invalid":
      return 401;
    case "provider_unavailable":
      return 502;
  }
}

/**
 * A failure of `code`; the provider's error code is kept (and named in the message) only when it
 * looks like one, so a crafted callback cannot put its own words in front of the person.
 */
export function oidcFailure(code: OidcFailureCode, cause?: unknown, providerError?: string): OidcFailure {
  const known = providerError !== undefined && ERROR_CODE.test(providerError) ? providerError : null;
  const message = known === null ? MESSAGES[code] : `${MESSAGES[code]} (${known})`;
  return { code, status: statusOf(code, known), message, providerError: known, cause };
}

/** What went wrong talking to the provider, from what oauth4webapi (or fetch) threw. */
export function failureOf(error: unknown): OidcFailure {
  if (error instanceof oauth.AuthorizationResponseError)
    return oidcFailure("provider_error", error, error.error);
  if (error instanceof oauth.ResponseBodyError) {
    if (error.status >= 500) return oidcFailure("provider_unavailable", error);
    // RFC 6749 section 5.2: a code used twice, expired, or with the wrong verifier is `invalid_grant`.
    return oidcFailure(
      error.error === "invalid_grant" ? "code_rejected" : "provider_error",
      error,
      error.error,
    );
  }
  if (error instanceof oauth.OperationProcessingError) {
    return error.code === oauth.RESPONSE_IS_NOT_CONFORM || error.code === oauth.RESPONSE_IS_NOT_JSON
      ? oidcFailure("provider_unavailable", error)
      : oidcFailure("token_invalid", error);
  }
  // fetch's TypeError (connection refused, DNS) and the timeout's DOMException.
  return oidcFailure("provider_unavailable", error);
}
