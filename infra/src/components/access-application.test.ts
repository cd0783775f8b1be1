import * as pulumi from "@pulumi/pulumi";
import { OPERATIONS, type OperationSpec } from "@sdgate/shared";
import { beforeAll, describe, expect, it } from "vitest";
import type { AccessConfig } from "../config/access-schema.ts";
import { createProgram } from "../program.ts";
import { isSecretOutput, outputOf, settle } from "../test-support/pulumi-mocks.ts";
import { exampleStack, SECRET_MARKER } from "../test-support/stack-fixture.ts";
import { AccessApplication } from "./access-application.ts";

const APPLICATION = "cloudflare:index/zeroTrustAccessApplication:ZeroTrustAccessApplication";
const POLICY = "cloudflare:index/zeroTrustAccessPolicy:ZeroTrustAccessPolicy";
const SERVICE_TOKEN = "cloudflare:index/zeroTrustAccessServiceToken:ZeroTrustAccessServiceToken";
const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";

interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const recorded: Recorded[] = [];

/**
 * Pulumi's mocks, with what Cloudflare assigns on create: an application's AUD tag, a service
 * token's client id and secret (the secret carries the leak marker).
 */
pulumi.runtime.setMocks(
  {
    newResource: (args) => {
      const inputs = args.inputs as Record<string, unknown>;
      recorded.push({ type: args.type, name: args.name, inputs });
      const assigned =
        args.type === APPLICATION
          ? { aud: AUD }
          : args.type === SERVICE_TOKEN
            ? { clientId: `${args.name}.access`, clientSecret: `${SECRET_MARKER}-${args.name}` }
            : {};
      return { id: `${args.name}-id`, state: { ...inputs, ...assigned } };
    },
    call: (args) => args.inputs,
  },
  "sdgate",
  "test",
  false,
);

function ofType(type: string): Recorded[] {
  return recorded.filter((r) => r.type === type);
}

function named(type: string, name: string): Recorded {
  const found = ofType(type).filter((r) => r.name === name);
  expect(found, `${type} ${name}`).toHaveLength(1);
  return found[0] as Recorded;
}

const example = exampleStack().access as AccessConfig;
let component: AccessApplication;

beforeAll(async () => {
  component = new AccessApplication("edge-access", { access: example });
  await settle(component);
});

describe("the Access application for the example stack", () => {
  it("is self-hosted on the edge's browser paths only, so the API's routes never meet Access", () => {
    const application = named(APPLICATION, "edge-access").inputs;
    expect(application).toMatchObject({
      accountId: example.accountId,
      type: "self_hosted",
      domain: "api.example.com/studio",
      destinations: [
        { type: "public", uri: "api.example.com/studio" },
        { type: "public", uri: "api.example.com/auth" },
      ],
      sessionDuration: "24h",
      serviceAuth401Redirect: true,
    });
    const paths = (application.destinations as { uri: string }[]).map((d) => d.uri.replace(/^[^/]*/, ""));
    // Every API operation stays outside; the browser's sign-in flow (`/auth/…`) is what Access covers.
    const api = (Object.values(OPERATIONS) as OperationSpec[]).filter(
      (operation) => operation.access.kind !== "browser" && operation.access.kind !== "session",
    );
    for (const operation of api) {
      for (const path of paths)
        expect(path === "" || operation.path === path || operation.path.startsWith(`${path}/`)).toBe(false);
    }
  });

  it("admits people by the allow policy first, then machines by the service policy", () => {
    expect(named(APPLICATION, "edge-access").inputs.policies).toEqual([
      { id: "edge-access-people-id", precedence: 1 },
      { id: "edge-access-services-id", precedence: 2 },
    ]);
    expect(named(POLICY, "edge-access-people").inputs).toMatchObject({
      accountId: example.accountId,
      decision: "allow",
      includes: [
        { emailDomain: { domain: "acme.com" } },
        { okta: { identityProviderId: "2c4ed3d5-1c4e-4f8a-9a66-0e5f1a1b7c21", name: "sdgate-users" } },
      ],
    });
    // An Allow policy demands a person; a service token passes only a Service Auth (non_identity) one.
    expect(named(POLICY, "edge-access-services").inputs).toMatchObject({
      decision: "non_identity",
      includes: [{ serviceToken: { tokenId: "edge-access-token-ci-id" } }],
    });
    expect(named(SERVICE_TOKEN, "edge-access-token-ci").inputs).toMatchObject({
      accountId: example.accountId,
      name: "sdgate api.example.com: ci",
    });
  });

  it("outputs the team domain and the AUD tag in plain text, the service tokens' credentials only as a secret", async () => {
    expect(await outputOf(component.access)).toEqual({ teamDomain: "acme.cloudflareaccess.com", aud: AUD });
    expect(await isSecretOutput(component.access)).toBe(false);
    expect(await isSecretOutput(component.serviceTokens)).toBe(true);
    expect(await outputOf(component.serviceTokens)).toEqual({
      ci: { clientId: "edge-access-token-ci.access", clientSecret: `${SECRET_MARKER}-edge-access-token-ci` },
    });
  });
});

describe("who may sign in", () => {
  it("writes each allow rule in the fields of its identity provider's Access rule", async () => {
    const access: AccessConfig = {
      ...example,
      domain: "images.acme.com",
      allow: {
        emails: ["ada@acme.com"],
        emailDomains: [],
        groups: [
          { idp: "accessGroup", id: "aa0a4aab-672b-4bdb-bc33-a59f1130a11f" },
          {
            idp: "azureAd",
            identityProviderId: "2c4ed3d5-1c4e-4f8a-9a66-0e5f1a1b7c21",
            id: "group-object-id",
          },
          { idp: "gsuite", identityProviderId: "2c4ed3d5-1c4e-4f8a-9a66-0e5f1a1b7c21", email: "ml@acme.com" },
          {
            idp: "github",
            identityProviderId: "2c4ed3d5-1c4e-4f8a-9a66-0e5f1a1b7c21",
            name: "acme",
            team: "ml",
          },
          {
            idp: "oidc",
            identityProviderId: "2c4ed3d5-1c4e-4f8a-9a66-0e5f1a1b7c21",
            claimName: "groups",
            claimValue: "sdgate",
          },
          {
            idp: "saml",
            identityProviderId: "2c4ed3d5-1c4e-4f8a-9a66-0e5f1a1b7c21",
            attributeName: "memberOf",
            attributeValue: "sdgate",
          },
        ],
      },
      serviceTokens: [],
    };
    const people = new AccessApplication("people-only", { access });
    await settle(people);
    const idp = { identityProviderId: "2c4ed3d5-1c4e-4f8a-9a66-0e5f1a1b7c21" };
    expect(named(POLICY, "people-only-people").inputs.includes).toEqual([
      { email: { email: "ada@acme.com" } },
      { group: { id: "aa0a4aab-672b-4bdb-bc33-a59f1130a11f" } },
      { azureAd: { ...idp, id: "group-object-id" } },
      { gsuite: { ...idp, email: "ml@acme.com" } },
      { githubOrganization: { ...idp, name: "acme", team: "ml" } },
      { oidc: { ...idp, claimName: "groups", claimValue: "sdgate" } },
      { saml: { ...idp, attributeName: "memberOf", attributeValue: "sdgate" } },
    ]);
    // Without service tokens there is neither a token nor a Service Auth policy, and nothing secret.
    expect(recorded.filter((r) => r.name.startsWith("people-only-")).map((r) => r.type)).toEqual([POLICY]);
    expect(named(APPLICATION, "people-only").inputs.policies).toEqual([
      { id: "people-only-people-id", precedence: 1 },
    ]);
    expect(await outputOf(people.serviceTokens)).toEqual({});
  });
});

describe("the program", () => {
  it("creates no Access resource for a stack without sdgate:access", async () => {
    const before = recorded.length;
    const program = createProgram(exampleStack((values) => delete values.access));
    await settle(program);
    expect(program.access).toBeUndefined();
    expect(program.accessServiceTokens).toBeUndefined();
    expect(recorded.slice(before).filter((r) => r.type.startsWith("cloudflare:"))).toEqual([]);
  });

  it("creates one Access application for a stack with it", async () => {
    const before = recorded.length;
    const program = createProgram(exampleStack());
    await settle(program);
    const added = recorded.slice(before).filter((r) => r.type.startsWith("cloudflare:"));
    expect(added.map((r) => r.type).sort()).toEqual([APPLICATION, POLICY, POLICY, SERVICE_TOKEN]);
    expect(await outputOf(program.access as pulumi.Output<unknown>)).toEqual({
      teamDomain: "acme.cloudflareaccess.com",
      aud: AUD,
    });
    for (const resource of added) expect(JSON.stringify(resource.inputs)).not.toContain(SECRET_MARKER);
  });
});
