import { OPERATIONS, type OperationSpec } from "@sdgate/shared";
import { z } from "zod";
import { dnsLabel, hostname } from "./formats.ts";

/**
 * `sdgate:access`: Cloudflare Access in front of the edge's browser paths (components/access-application.ts).
 * Optional; without it the program creates no Access resource and the edge runs without Access.
 */

/** `acme.cloudflareaccess.com`: the Zero Trust organization's team domain, the tokens' issuer. */
export const teamDomain = z
  .string()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.cloudflareaccess\.com$/,
    "must be your Zero Trust team domain such as acme.cloudflareaccess.com",
  );

/** An Access application's AUD tag, as the edge's SDGATE_ACCESS_AUD accepts it. */
const audTag = z.string().regex(/^[0-9a-f]{32,128}$/, "must be an Access application's AUD tag (hex)");

/**
 * The first segment of every API route (`/v1`, `/admin`, `/healthz`, `/openapi.json`). Access answers a
 * request it covers with a sign-in redirect unless it carries an Access token, so covering any of these
 * would lock out API keys and the break-glass admin token, which Access knows nothing of.
 */
export const API_PREFIXES: readonly string[] = [
  ...new Set(
    (Object.values(OPERATIONS) as OperationSpec[])
      // The sign-in flow is a browser's: Access may cover it (it does by default, `/auth`).
      .filter((operation) => operation.access.kind !== "browser" && operation.access.kind !== "session")
      .map((operation) => `/${operation.path.split("/")[1] ?? ""}`),
  ),
];

const path = z
  .string()
  .regex(
    /^(\/[a-z0-9._~-]+)+$/,
    "must be a path such as /studio (lowercase, no trailing '/', no wildcard: Access covers what is under it)",
  )
  .refine(
    (value) => !API_PREFIXES.some((prefix) => value === prefix || value.startsWith(`${prefix}/`)),
    `must be outside the API (${API_PREFIXES.join(", ")}): Access there would refuse API keys and the admin token`,
  );

/** A Go duration, as Access reads `session_duration` (`24h`, `30m`, `2h45m`). */
const duration = z
  .string()
  .regex(/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/, "must be a duration such as 24h, 30m or 2h45m");

const idpId = z.guid(
  "must be the identity provider's id (a UUID, under Zero Trust → Settings → Authentication)",
);

/**
 * An identity provider group, in the words of the Access rule that matches it (one per provider kind;
 * the fields are the Cloudflare provider's `ZeroTrustAccessPolicyInclude*`).
 */
const groupSchema = z.discriminatedUnion("idp", [
  /** An Access group (Zero Trust → Access → Access groups), by id. */
  z.strictObject({ idp: z.literal("accessGroup"), id: z.guid("must be the Access group's id (a UUID)") }),
  z.strictObject({ idp: z.literal("okta"), identityProviderId: idpId, name: z.string().min(1) }),
  /** Entra ID (Azure AD): the group's object id. */
  z.strictObject({ idp: z.literal("azureAd"), identityProviderId: idpId, id: z.string().min(1) }),
  /** Google Workspace: the group's email address. */
  z.strictObject({ idp: z.literal("gsuite"), identityProviderId: idpId, email: z.email() }),
  z.strictObject({
    idp: z.literal("github"),
    identityProviderId: idpId,
    /** The organization, and optionally one of its teams. */
    name: z.string().min(1),
    team: z.string().min(1).optional(),
  }),
  z.strictObject({
    idp: z.literal("oidc"),
    identityProviderId: idpId,
    claimName: z.string().min(1),
    claimValue: z.string().min(1),
  }),
  z.strictObject({
    idp: z.literal("saml"),
    identityProviderId: idpId,
    attributeName: z.string().min(1),
    attributeValue: z.string().min(1),
  }),
]);
export type AccessGroupRule = z.output<typeof groupSchema>;

function unique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

const accessObject = z.strictObject({
  /** The Cloudflare account that holds the Zero Trust organization (32 hex characters). */
  accountId: z.string().regex(/^[0-9a-f]{32}$/, "must be the Cloudflare account id (32 hex characters)"),
  teamDomain,
  /** The edge's public hostname, as in wrangler.toml's custom domain route. */
  domain: hostname,
  /** The browser paths Access covers on `domain`, each with everything under it. */
  paths: z.array(path).min(1).refine(unique, "must not repeat a path").default(["/studio", "/auth"]),
  /** How long a person stays signed in to Access before signing in at the identity provider again. */
  sessionDuration: duration.default("24h"),
  /** Who may sign in: anyone matching one rule. */
  allow: z
    .strictObject({
      emails: z.array(z.email()).default([]),
      emailDomains: z.array(hostname).default([]),
      groups: z.array(groupSchema).default([]),
    })
    .refine(
      (allow) => allow.emails.length + allow.emailDomains.length + allow.groups.length > 0,
      "must name at least one of emails, emailDomains or groups (Access would admit nobody)",
    ),
  /** Access service tokens (machines) admitted by a Service Auth policy; their names. */
  serviceTokens: z.array(dnsLabel).refine(unique, "must not repeat a name").default([]),
});
export const accessSchema = accessObject.optional();
export type AccessConfig = z.output<typeof accessObject>;

/** The stack output `access`: what the edge needs to verify Access's tokens, nothing secret. */
export const accessOutputSchema = z.object({ teamDomain, aud: audTag });
export type AccessOutput = z.output<typeof accessOutputSchema>;

/**
 * The edge's Access vars from the stack's `access` output (`pulumi stack output --json access`),
 * checked as the edge will read them.
 *
 * @example
 * accessEdgeVars({ teamDomain: "acme.cloudflareaccess.com", aud: "4714c1…" });
 * // { ok: true, value: { SDGATE_ACCESS_TEAM_DOMAIN: "acme.cloudflareaccess.com", SDGATE_ACCESS_AUD: "4714c1…" } }
 */
export function accessEdgeVars(
  value: unknown,
): { ok: true; value: Record<string, string> } | { ok: false; problems: string } {
  const parsed = accessOutputSchema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((i) => `${i.path.join(".") || "access"}: ${i.message}`).join("\n"),
    };
  }
  return {
    ok: true,
    value: { SDGATE_ACCESS_TEAM_DOMAIN: parsed.data.teamDomain, SDGATE_ACCESS_AUD: parsed.data.aud },
  };
}
