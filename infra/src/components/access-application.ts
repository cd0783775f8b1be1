import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import type { AccessConfig, AccessGroupRule, AccessOutput } from "../config/access-schema.ts";

export interface AccessApplicationArgs {
  access: AccessConfig;
}

/** A service token's credentials: the `CF-Access-Client-Id` and `CF-Access-Client-Secret` headers. */
export interface ServiceTokenCredentials {
  clientId: string;
  clientSecret: string;
}

type Include = cloudflare.types.input.ZeroTrustAccessPolicyInclude;

/** One Access rule per group, in the fields of the rule that matches that identity provider's groups. */
function groupInclude(group: AccessGroupRule): Include {
  switch (group.idp) {
    case "accessGroup":
      return { group: { id: group.id } };
    case "okta":
      return { okta: { identityProviderId: group.identityProviderId, name: group.name } };
    case "azureAd":
      return { azureAd: { identityProviderId: group.identityProviderId, id: group.id } };
    case "gsuite":
      return { gsuite: { identityProviderId: group.identityProviderId, email: group.email } };
    case "github":
      return {
        githubOrganization: {
          identityProviderId: group.identityProviderId,
          name: group.name,
          ...(group.team === undefined ? {} : { team: group.team }),
        },
      };
    case "oidc":
      return {
        oidc: {
          identityProviderId: group.identityProviderId,
          claimName: group.claimName,
          claimValue: group.claimValue,
        },
      };
    case "saml":
      return {
        saml: {
          identityProviderId: group.identityProviderId,
          attributeName: group.attributeName,
          attributeValue: group.attributeValue,
        },
      };
  }
}

/** The allow policy's rules: any one admits a person. */
export function peopleIncludes(allow: AccessConfig["allow"]): Include[] {
  return [
    ...allow.emails.map((email) => ({ email: { email } })),
    ...allow.emailDomains.map((domain) => ({ emailDomain: { domain } })),
    ...allow.groups.map(groupInclude),
  ];
}

/**
 * A self-hosted Access application on the edge's browser paths only (`access.paths` on
 * `access.domain`; each covers what is under it, Cloudflare's "Application paths"). The API (`/v1`,
 * `/admin`, …) stays outside it, so API keys and the admin token work whatever Access does; the
 * schema refuses a path there. People matching `access.allow` are admitted by an Allow policy;
 * machines by a Service Auth policy (`non_identity`: an Allow policy would demand a person) naming
 * the service tokens made here. Its `access` output is what the edge needs, its AUD tag.
 */
export class AccessApplication extends pulumi.ComponentResource {
  readonly application: cloudflare.ZeroTrustAccessApplication;
  readonly people: cloudflare.ZeroTrustAccessPolicy;
  readonly services: cloudflare.ZeroTrustAccessPolicy | undefined;
  readonly tokens: Record<string, cloudflare.ZeroTrustAccessServiceToken>;
  /** SDGATE_ACCESS_TEAM_DOMAIN and SDGATE_ACCESS_AUD for the edge; nothing secret. */
  readonly access: pulumi.Output<AccessOutput>;
  /** Each service token's credentials by name, marked secret. */
  readonly serviceTokens: pulumi.Output<Record<string, ServiceTokenCredentials>>;

  constructor(name: string, args: AccessApplicationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sdgate:edge:AccessApplication", name, {}, opts);
    const { access } = args;
    const { accountId, domain } = access;
    const child = { parent: this };

    this.people = new cloudflare.ZeroTrustAccessPolicy(
      `${name}-people`,
      {
        accountId,
        name: `sdgate ${domain}: people`,
        decision: "allow",
        includes: peopleIncludes(access.allow),
      },
      child,
    );
    this.tokens = Object.fromEntries(
      access.serviceTokens.map((token) => [
        token,
        new cloudflare.ZeroTrustAccessServiceToken(
          `${name}-token-${token}`,
          { accountId, name: `sdgate ${domain}: ${token}` },
          child,
        ),
      ]),
    );
    const tokens = Object.values(this.tokens);
    this.services =
      tokens.length === 0
        ? undefined
        : new cloudflare.ZeroTrustAccessPolicy(
            `${name}-services`,
            {
              accountId,
              name: `sdgate ${domain}: services`,
              decision: "non_identity",
              includes: tokens.map((token) => ({ serviceToken: { tokenId: token.id } })),
            },
            child,
          );

    const destinations = access.paths.map((path) => ({ type: "public", uri: `${domain}${path}` }));
    this.application = new cloudflare.ZeroTrustAccessApplication(
      name,
      {
        accountId,
        name: `sdgate ${domain}`,
        type: "self_hosted",
        domain: `${domain}${access.paths[0] ?? ""}`,
        destinations,
        sessionDuration: access.sessionDuration,
        policies: [
          { id: this.people.id, precedence: 1 },
          ...(this.services === undefined ? [] : [{ id: this.services.id, precedence: 2 }]),
        ],
        // A machine whose token is refused gets a 401, not the sign-in page meant for people.
        serviceAuth401Redirect: true,
        httpOnlyCookieAttribute: true,
        sameSiteCookieAttribute: "lax",
      },
      child,
    );

    this.access = pulumi.output({ teamDomain: access.teamDomain, aud: this.application.aud });
    const credentials = Object.entries(this.tokens).map(([token, resource]) =>
      pulumi
        .all([resource.clientId, resource.clientSecret])
        .apply(([clientId, clientSecret]): [string, ServiceTokenCredentials] => [
          token,
          { clientId, clientSecret },
        ]),
    );
    // The provider marks clientSecret secret already; this keeps the whole map so if that ever changes.
    this.serviceTokens = pulumi.secret(
      pulumi
        .all(credentials)
        .apply((entries): Record<string, ServiceTokenCredentials> => Object.fromEntries(entries)),
    );
    this.registerOutputs({ access: this.access, serviceTokens: this.serviceTokens });
  }
}
