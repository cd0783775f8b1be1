import type { OidcConfig } from "./config.ts";
import { discover } from "./discovery.ts";

/**
 * Where to send the browser to sign out at the provider too (OpenID Connect RP-Initiated Logout
 * 1.0), or null when the provider advertises no `end_session_endpoint` or cannot be reached: ending
 * sdgate's own session never waits on the provider. `postLogoutRedirectUri` must be registered with
 * the provider.
 *
 * @example
 * const url = await logoutUrl(config, { idTokenHint: session.idToken, postLogoutRedirectUri: "https://sdgate.acme.com/" });
 * return url === null ? c.redirect("/") : c.redirect(url);
 */
export async function logoutUrl(
  config: OidcConfig,
  options: { idTokenHint?: string; postLogoutRedirectUri?: string; state?: string } = {},
): Promise<string | null> {
  let endpoint: string | undefined;
  try {
    const server = await discover(config);
    endpoint = typeof server.end_session_endpoint === "string" ? server.end_session_endpoint : undefined;
  } catch {
    return null;
  }
  if (endpoint === undefined) return null;
  const url = new URL(endpoint);
  url.searchParams.set("client_id", config.clientId);
  if (options.idTokenHint !== undefined) url.searchParams.set("id_token_hint", options.idTokenHint);
  if (options.postLogoutRedirectUri !== undefined) {
    url.searchParams.set("post_logout_redirect_uri", options.postLogoutRedirectUri);
  }
  if (options.state !== undefined) url.searchParams.set("state", options.state);
  return url.href;
}
