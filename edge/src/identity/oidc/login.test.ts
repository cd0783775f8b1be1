import { env } from "cloudflare:workers";
import { SdgateError } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { type OidcConfig, oidcConfigOf } from "./config.ts";
import { beginLogin, completeLogin } from "./login.ts";
import { logoutUrl } from "./logout.ts";
import { sealPending, unsealPending } from "./pending.ts";
import { signInAt } from "./testing.ts";

// A real OpenID Provider (oidc-provider) on 127.0.0.1, started by test/global-setup.ts.
const provider = env.OIDC_TEST;
const redirectUri = provider.redirectUris[0] ?? "";
const secret = `pending-test-${crypto.randomUUID()}`;

function configWith(vars: Record<string, string> = {}): OidcConfig {
  const config = oidcConfigOf({
    SDGATE_OIDC_ISSUER: provider.issuer,
    SDGATE_OIDC_CLIENT_ID: provider.clientId,
    SDGATE_OIDC_CLIENT_SECRET: provider.clientSecret,
    SDGATE_OIDC_SCOPES: "openid email profile groups",
    SDGATE_OIDC_ALLOW_LOOPBACK: "true",
    ...vars,
  });
  if (config === null) throw new Error("the test config is off");
  return config;
}

const config = configWith();

async function signIn(account: string, options: { cancel?: boolean; returnTo?: string } = {}) {
  const begun = await beginLogin(config, { redirectUri, returnTo: options.returnTo ?? "/studio/" });
  const callback = await signInAt(begun.authorizationUrl, {
    account,
    redirectUri,
    ...(options.cancel ? { cancel: true } : {}),
  });
  return { ...begun, callback };
}

describe("OIDC sign-in: happy", () => {
  it("signs a person in through the provider and returns who they are, with their groups", async () => {
    const { pending, callback } = await signIn("alice");
    // The browser carried `pending` sealed; it comes back intact.
    const opened = await unsealPending(await sealPending(pending, secret), secret);
    expect(opened).toEqual({ ok: true, pending });
    const login = await completeLogin(config, callback, pending);
    expect(login).toMatchObject({
      ok: true,
      identity: {
        issuer: provider.issuer,
        subject: provider.accounts.alice?.sub,
        email: "alice@example.com",
        emailVerified: true,
        name: "Alice Admin",
        groups: ["sdgate-admins", "ml-platform"],
      },
    });
    expect(pending.returnTo).toBe("/studio/");
  });

  it("asks for a code challenge (S256), state and nonce, never sending the verifier", async () => {
    const { authorizationUrl, pending } = await beginLogin(config, { redirectUri });
    const params = new URL(authorizationUrl).searchParams;
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("code_challenge")).toMatch(/^[\w-]{43}$/);
    expect(params.get("state")).toBe(pending.state);
    expect(params.get("nonce")).toBe(pending.nonce);
    expect(params.get("scope")).toBe("openid email profile groups");
    expect(authorizationUrl).not.toContain(pending.codeVerifier);
    expect(pending.returnTo).toBe("/");
  });

  it("gives each person their own groups, and none to a person without any", async () => {
    const bob = await signIn("bob");
    const carol = await signIn("carol");
    const bobLogin = await completeLogin(config, bob.callback, bob.pending);
    const carolLogin = await completeLogin(config, carol.callback, carol.pending);
    expect(bobLogin.ok && bobLogin.identity.groups).toEqual(["ml-research"]);
    expect(carolLogin.ok && carolLogin.identity.groups).toEqual([]);
  });

  it("reads groups from the configured claim", async () => {
    // The provider sends `groups`; a deployment configured for another claim sees none.
    const other = configWith({ SDGATE_OIDC_GROUPS_CLAIM: "roles" });
    const begun = await beginLogin(other, { redirectUri });
    const callback = await signInAt(begun.authorizationUrl, { account: "alice", redirectUri });
    const login = await completeLogin(other, callback, begun.pending);
    expect(login.ok && login.identity).toMatchObject({ email: "alice@example.com", groups: [] });
  });

  it("still verifies ID tokens after the provider rolls its signing key over", async () => {
    const before = await signIn("alice");
    expect((await completeLogin(config, before.callback, before.pending)).ok).toBe(true);
    const rotated = await fetch(provider.rotateKeysUrl, { method: "POST" });
    const { kid } = await rotated.json<{ kid: string }>();
    const after = await signIn("bob");
    const login = await completeLogin(config, after.callback, after.pending);
    expect(login.ok && login.identity.email).toBe("bob@example.com");
    const [header = ""] = (login.ok ? login.idToken : "").split(".");
    expect(JSON.parse(atob(header.replace(/-/g, "+").replace(/_/g, "/")))).toMatchObject({ kid });
  });

  it("offers the provider's sign-out, with the ID token as hint", async () => {
    const url = await logoutUrl(config, {
      idTokenHint: "token",
      postLogoutRedirectUri: "https://example.com/",
    });
    expect(url).not.toBeNull();
    const parsed = new URL(url ?? "");
    expect(`${parsed.origin}${parsed.pathname}`).toBe(`${provider.issuer}/session/end`);
    expect(Object.fromEntries(parsed.searchParams)).toEqual({
      client_id: provider.clientId,
      id_token_hint: "token",
      post_logout_redirect_uri: "https://example.com/",
    });
  });
});

describe("OIDC sign-in: errors", () => {
  it("surfaces a cancelled sign-in as the provider's access_denied, a 403", async () => {
    const { pending, callback } = await signIn("alice", { cancel: true });
    const login = await completeLogin(config, callback, pending);
    expect(login).toMatchObject({
      ok: false,
      failure: { code: "provider_error", providerError: "access_denied", status: 403 },
    });
    expect(login.ok || login.failure.message).toBe(
      "The identity provider did not sign you in. (access_denied)",
    );
  });

  it("answers 503 when the provider cannot be reached", async () => {
    const down = configWith({ SDGATE_OIDC_ISSUER: env.FAKE_BACKENDS.urls.down });
    const refused = await beginLogin(down, { redirectUri }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SdgateError);
    expect((refused as SdgateError).status).toBe(503);
  });

  it("refuses a provider whose discovery document names another issuer", async () => {
    // The same server under another spelling of its address: discovery must echo the issuer exactly.
    const renamed = configWith({ SDGATE_OIDC_ISSUER: provider.issuer.replace("127.0.0.1", "localhost") });
    const refused = await beginLogin(renamed, { redirectUri }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SdgateError);
    expect((refused as SdgateError).cause).toMatchObject({ code: "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED" });
  });
});

describe("OIDC sign-in: security", () => {
  it("refuses a callback whose state is not this browser's", async () => {
    const mine = await signIn("alice");
    const theirs = await signIn("bob");
    // An attacker's callback (their code, their state) delivered to my browser, which holds my pending.
    const login = await completeLogin(config, theirs.callback, mine.pending);
    expect(login).toMatchObject({ ok: false, failure: { code: "state_mismatch", status: 400 } });
    const missing = new URL(mine.callback);
    missing.searchParams.delete("state");
    expect(await completeLogin(config, missing, mine.pending)).toMatchObject({
      ok: false,
      failure: { code: "state_mismatch" },
    });
  });

  it("refuses a code used twice", async () => {
    const { pending, callback } = await signIn("alice");
    expect((await completeLogin(config, callback, pending)).ok).toBe(true);
    const replay = await completeLogin(config, callback, pending);
    expect(replay).toMatchObject({ ok: false, failure: { code: "code_rejected", status: 400 } });
  });

  it("refuses a code redeemed with another sign-in's PKCE verifier or nonce", async () => {
    const { pending, callback } = await signIn("alice");
    const other = await beginLogin(config, { redirectUri });
    const wrongVerifier = await completeLogin(config, callback, {
      ...pending,
      codeVerifier: other.pending.codeVerifier,
    });
    expect(wrongVerifier).toMatchObject({ ok: false, failure: { code: "code_rejected" } });

    const again = await signIn("alice");
    const wrongNonce = await completeLogin(config, again.callback, {
      ...again.pending,
      nonce: other.pending.nonce,
    });
    expect(wrongNonce).toMatchObject({ ok: false, failure: { code: "token_invalid", status: 401 } });
  });

  it("refuses an ID token whose signature does not verify against the provider's keys", async () => {
    // The test provider alters the signature of Mallory's ID tokens on their way out.
    const { pending, callback } = await signIn("mallory");
    const login = await completeLogin(config, callback, pending);
    expect(login).toMatchObject({ ok: false, failure: { code: "token_invalid", status: 401 } });
  });

  it("refuses a callback claiming to come from another issuer (RFC 9207)", async () => {
    const { pending, callback } = await signIn("alice");
    callback.searchParams.set("iss", "https://evil.example");
    const login = await completeLogin(config, callback, pending);
    expect(login).toMatchObject({ ok: false, failure: { code: "token_invalid" } });
  });

  it("refuses a pending sign-in begun for another issuer", async () => {
    const { pending, callback } = await signIn("alice");
    const login = await completeLogin(config, callback, { ...pending, issuer: "https://other.example" });
    expect(login).toMatchObject({ ok: false, failure: { code: "pending_invalid" } });
  });

  it("refuses to send a person anywhere but a path on this site afterwards", async () => {
    for (const returnTo of ["https://evil.example/", "//evil.example/", "/\\evil.example", "studio"]) {
      const refused = await beginLogin(config, { redirectUri, returnTo }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(SdgateError);
      expect(refused).toMatchObject({ code: "invalid_request", param: "return_to" });
    }
  });

  it("keeps the provider's own words out of the failure's message", async () => {
    const { pending, callback } = await signIn("alice", { cancel: true });
    callback.searchParams.set("error", "<script>alert(1)</script>");
    const login = await completeLogin(config, callback, pending);
    expect(login).toMatchObject({
      ok: false,
      failure: { code: "provider_error", providerError: null, status: 400 },
    });
    expect(login.ok || login.failure.message).toBe("The identity provider did not sign you in.");
  });
});
