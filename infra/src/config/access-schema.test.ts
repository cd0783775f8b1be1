import { describe, expect, it } from "vitest";
import { installMocks } from "../test-support/pulumi-mocks.ts";
import { exampleConfigValues, exampleStack, sourceOf } from "../test-support/stack-fixture.ts";
import { API_PREFIXES, accessEdgeVars } from "./access-schema.ts";
import { loadStackConfig, StackConfigError } from "./load-config.ts";

installMocks();

type Raw = Record<string, unknown>;

/** Loading the example with `sdgate:access` edited. */
function loading(edit: (access: Raw) => void): () => void {
  const values = exampleConfigValues();
  edit(values.access as Raw);
  return () => loadStackConfig(sourceOf(values));
}

const AUD = "4714c1358e65fe4b408ad6d432a5f878f08194bdb4752441fd56faefa9b2b6f2";

describe("sdgate:access", () => {
  it("loads the example's Access block with its defaults: the browser paths, a day's session", () => {
    expect(exampleStack().access).toEqual({
      accountId: "0123456789abcdef0123456789abcdef",
      teamDomain: "acme.cloudflareaccess.com",
      domain: "api.example.com",
      paths: ["/studio", "/auth"],
      sessionDuration: "24h",
      allow: {
        emails: [],
        emailDomains: ["acme.com"],
        groups: [
          { idp: "okta", identityProviderId: "2c4ed3d5-1c4e-4f8a-9a66-0e5f1a1b7c21", name: "sdgate-users" },
        ],
      },
      serviceTokens: ["ci"],
    });
  });

  it("is optional: a stack without it has no Access", () => {
    expect(exampleStack((values) => delete values.access).access).toBeUndefined();
  });

  it("keeps every API route's first segment out of reach of a path", () => {
    // `/sdapi` and `/controlnet`: AUTOMATIC1111's API and its ControlNet extension's routes (issue 18).
    expect([...API_PREFIXES].sort()).toEqual([
      "/admin",
      "/controlnet",
      "/healthz",
      "/openapi.json",
      "/sdapi",
      "/v1",
    ]);
  });

  it.each<[string, (access: Raw) => void, string]>([
    [
      "no allow rule",
      (a) => (a.allow = { emails: [] }),
      "sdgate:access.allow: must name at least one of emails, emailDomains or groups",
    ],
    [
      "a team domain that is not Access's",
      (a) => (a.teamDomain = "acme.example.com"),
      "sdgate:access.teamDomain: must be your Zero Trust team domain such as acme.cloudflareaccess.com",
    ],
    [
      "a URL for the edge's hostname",
      (a) => (a.domain = "https://api.example.com"),
      "sdgate:access.domain: must be a DNS hostname",
    ],
    ["an API path", (a) => (a.paths = ["/studio", "/v1"]), "sdgate:access.paths[1]: must be outside the API"],
    [
      "a path under the API",
      (a) => (a.paths = ["/v1/me"]),
      "sdgate:access.paths[0]: must be outside the API",
    ],
    ["the admin routes", (a) => (a.paths = ["/admin"]), "sdgate:access.paths[0]: must be outside the API"],
    ["the whole site", (a) => (a.paths = ["/"]), "sdgate:access.paths[0]: must be a path such as /studio"],
    [
      "a wildcard",
      (a) => (a.paths = ["/studio/*"]),
      "sdgate:access.paths[0]: must be a path such as /studio",
    ],
    [
      "a path twice",
      (a) => (a.paths = ["/studio", "/studio"]),
      "sdgate:access.paths: must not repeat a path",
    ],
    [
      "a session in words",
      (a) => (a.sessionDuration = "1 day"),
      "sdgate:access.sessionDuration: must be a duration",
    ],
    [
      "an account name",
      (a) => (a.accountId = "acme"),
      "sdgate:access.accountId: must be the Cloudflare account id",
    ],
    [
      "a group without its identity provider",
      (a) => (a.allow = { groups: [{ idp: "okta", name: "sdgate-users" }] }),
      "sdgate:access.allow.groups[0].identityProviderId:",
    ],
    [
      "a group of an unknown provider",
      (a) => (a.allow = { groups: [{ idp: "ldap", name: "x" }] }),
      "sdgate:access.allow.groups[0].idp:",
    ],
    [
      "a service token twice",
      (a) => (a.serviceTokens = ["ci", "ci"]),
      "sdgate:access.serviceTokens: must not repeat a name",
    ],
    ["a misspelt key", (a) => (a.allowed = a.allow), 'sdgate:access: Unrecognized key: "allowed"'],
  ])("refuses %s, naming the key", (_, edit, message) => {
    expect(loading(edit)).toThrow(StackConfigError);
    expect(loading(edit)).toThrow(message);
  });
});

describe("the access output, as deploy:edge reads it", () => {
  it("gives the edge its team domain and AUD tag", () => {
    expect(accessEdgeVars({ teamDomain: "acme.cloudflareaccess.com", aud: AUD })).toEqual({
      ok: true,
      value: { SDGATE_ACCESS_TEAM_DOMAIN: "acme.cloudflareaccess.com", SDGATE_ACCESS_AUD: AUD },
    });
  });

  it("refuses what the edge would refuse, naming the field", () => {
    expect(accessEdgeVars({ teamDomain: "acme.cloudflareaccess.com" })).toMatchObject({
      ok: false,
      problems: expect.stringContaining("aud:"),
    });
    expect(accessEdgeVars({ teamDomain: "https://acme.cloudflareaccess.com", aud: AUD })).toMatchObject({
      ok: false,
      problems: expect.stringContaining("teamDomain: must be your Zero Trust team domain"),
    });
    expect(accessEdgeVars("[secret]")).toMatchObject({ ok: false });
  });
});
