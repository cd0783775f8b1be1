import { SdgateError } from "@sdgate/shared";

/**
 * Cloudflare Access in front of this Worker: the team's issuer (`https://<team>.cloudflareaccess.com`),
 * where its signing keys are, and the application audiences (AUD tags) a token must be for.
 */
export interface AccessConfig {
  issuer: string;
  certsUrl: string;
  audiences: string[];
}

export interface AccessVars {
  /** The Zero Trust team domain: `acme.cloudflareaccess.com` (or with `https://`). */
  SDGATE_ACCESS_TEAM_DOMAIN?: string | undefined;
  /** The Access application's AUD tag; several, comma-separated, while an application is replaced. */
  SDGATE_ACCESS_AUD?: string | undefined;
}

const TEAM_DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const AUD_TAG = /^[0-9a-f]{32,128}$/;

function invalid(name: string, message: string): SdgateError {
  return new SdgateError("internal_error", `The server is misconfigured: ${name} ${message}.`);
}

/**
 * Reads the Access settings: both vars or neither (then Access is off and its header is ignored, as
 * any client could send one). A half-configured deployment fails loudly rather than trusting tokens
 * for any audience.
 *
 * @example
 * accessConfigOf({ SDGATE_ACCESS_TEAM_DOMAIN: "acme.cloudflareaccess.com", SDGATE_ACCESS_AUD: "4714c1…" });
 */
export function accessConfigOf(vars: AccessVars): AccessConfig | null {
  const domain = vars.SDGATE_ACCESS_TEAM_DOMAIN?.trim() ?? "";
  const aud = vars.SDGATE_ACCESS_AUD?.trim() ?? "";
  if (domain === "" && aud === "") return null;
  if (domain === "") throw invalid("SDGATE_ACCESS_TEAM_DOMAIN", "must be set with SDGATE_ACCESS_AUD");
  if (aud === "") throw invalid("SDGATE_ACCESS_AUD", "must be set with SDGATE_ACCESS_TEAM_DOMAIN");
  const host = domain
    .replace(/^https:\/\//, "")
    .replace(/\/$/, "")
    .toLowerCase();
  if (!TEAM_DOMAIN.test(host)) {
    throw invalid("SDGATE_ACCESS_TEAM_DOMAIN", "must be a team domain such as acme.cloudflareaccess.com");
  }
  const audiences = aud.split(",").map((tag) => tag.trim());
  if (!audiences.every((tag) => AUD_TAG.test(tag))) {
    throw invalid("SDGATE_ACCESS_AUD", "must be the application's AUD tag (hex), or several comma-separated");
  }
  const issuer = `https://${host}`;
  return { issuer, certsUrl: `${issuer}/cdn-cgi/access/certs`, audiences };
}
