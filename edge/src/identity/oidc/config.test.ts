import { SdgateError } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { DEFAULT_OIDC_SCOPES, type OidcVars, oidcConfigOf } from "./config.ts";

const vars: OidcVars = {
  SDGATE_OIDC_ISSUER: "https://login.acme.com",
  SDGATE_OIDC_CLIENT_ID: "sdgate",
  SDGATE_OIDC_CLIENT_SECRET: "s3cret-value-that-must-not-leak",
};

function refusal(input: OidcVars): string {
  try {
    oidcConfigOf(input);
  } catch (error) {
    expect(error).toBeInstanceOf(SdgateError);
    expect((error as SdgateError).status).toBe(500);
    const { message } = error as SdgateError;
    expect(message).not.toContain("s3cret");
    return message;
  }
  throw new Error("accepted");
}

describe("OIDC config: happy", () => {
  it("is off when no OIDC var is set", () => {
    expect(oidcConfigOf({})).toBeNull();
    expect(oidcConfigOf({ SDGATE_OIDC_ISSUER: " " })).toBeNull();
  });

  it("reads the issuer, client and defaults", () => {
    expect(oidcConfigOf(vars)).toEqual({
      issuer: "https://login.acme.com",
      clientId: "sdgate",
      clientSecret: "s3cret-value-that-must-not-leak",
      scopes: DEFAULT_OIDC_SCOPES,
      groupsClaim: "groups",
      allowLoopback: false,
    });
  });

  it("takes scopes and a groups claim, and keeps the issuer as written (discovery compares it exactly)", () => {
    const config = oidcConfigOf({
      ...vars,
      SDGATE_OIDC_ISSUER: "https://acme.okta.com/oauth2/default/",
      SDGATE_OIDC_SCOPES: "openid  email groups email",
      SDGATE_OIDC_GROUPS_CLAIM: "https://acme.com/groups",
    });
    expect(config).toMatchObject({
      issuer: "https://acme.okta.com/oauth2/default/",
      scopes: "openid email groups",
      groupsClaim: "https://acme.com/groups",
    });
  });

  it("admits an http:// loopback issuer only with SDGATE_OIDC_ALLOW_LOOPBACK=true", () => {
    const local = { ...vars, SDGATE_OIDC_ISSUER: "http://127.0.0.1:4000" };
    expect(oidcConfigOf({ ...local, SDGATE_OIDC_ALLOW_LOOPBACK: "true" })?.allowLoopback).toBe(true);
    expect(refusal(local)).toMatch(
      /SDGATE_OIDC_ISSUER may use http:\/\/ only with SDGATE_OIDC_ALLOW_LOOPBACK=true/,
    );
  });
});

describe("OIDC config: errors", () => {
  it.each([
    ["SDGATE_OIDC_CLIENT_ID", { ...vars, SDGATE_OIDC_CLIENT_ID: "" }],
    ["SDGATE_OIDC_CLIENT_SECRET", { ...vars, SDGATE_OIDC_CLIENT_SECRET: undefined }],
    ["SDGATE_OIDC_ISSUER", { SDGATE_OIDC_CLIENT_ID: "sdgate" }],
  ] as const)("names %s when the others are set without it", (name, input) => {
    expect(refusal(input as OidcVars)).toContain(`${name} must be set with`);
  });

  it("refuses settings for an OIDC sign-in that is not configured", () => {
    expect(refusal({ SDGATE_OIDC_GROUPS_CLAIM: "roles" })).toContain(
      "SDGATE_OIDC_GROUPS_CLAIM is set but SDGATE_OIDC_ISSUER is not",
    );
  });

  it.each([
    ["not a URL", "must be an absolute URL"],
    ["http://login.acme.com", "must be an https:// URL"],
    ["http://10.0.0.5", "must be an https:// URL"],
    ["ftp://login.acme.com", "must be an https:// URL"],
    ["https://login.acme.com/?tenant=1", "no query, fragment or credentials"],
    ["https://user:pw@login.acme.com", "no query, fragment or credentials"],
  ])("refuses the issuer %s", (issuer, problem) => {
    const message = refusal({ ...vars, SDGATE_OIDC_ISSUER: issuer, SDGATE_OIDC_ALLOW_LOOPBACK: "true" });
    expect(message).toContain("SDGATE_OIDC_ISSUER");
    expect(message).toContain(problem);
  });

  it("refuses scopes without openid or with characters a scope cannot have", () => {
    expect(refusal({ ...vars, SDGATE_OIDC_SCOPES: "email profile" })).toContain(
      "SDGATE_OIDC_SCOPES must include openid",
    );
    expect(refusal({ ...vars, SDGATE_OIDC_SCOPES: 'openid "x"' })).toContain("SDGATE_OIDC_SCOPES must be");
  });

  it("refuses a loopback flag that is not true or false", () => {
    expect(refusal({ ...vars, SDGATE_OIDC_ALLOW_LOOPBACK: "yes" })).toContain("SDGATE_OIDC_ALLOW_LOOPBACK");
  });
});
