export {
  DEFAULT_OIDC_GROUPS_CLAIM,
  DEFAULT_OIDC_SCOPES,
  type OidcConfig,
  type OidcVars,
  oidcConfigOf,
} from "./config.ts";
export { DISCOVERY_TTL_MS, discover, PROVIDER_TIMEOUT_MS } from "./discovery.ts";
export { type OidcFailure, type OidcFailureCode, oidcFailure } from "./failures.ts";
export { beginLogin, completeLogin, type OidcIdentity, type OidcLogin } from "./login.ts";
export { logoutUrl } from "./logout.ts";
export {
  MIN_PENDING_SECRET_CHARS,
  PENDING_LOGIN_TTL_MS,
  type PendingLogin,
  safeReturnTo,
  sealPending,
  type Unsealed,
  unsealPending,
} from "./pending.ts";
