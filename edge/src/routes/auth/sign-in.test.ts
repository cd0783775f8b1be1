import { env } from "cloudflare:workers";
import { mintLocalSignInToken } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import type { Env } from "../../env.ts";
import { newTeam, rule } from "../../identity/directory/testing.ts";
import { signInAt } from "../../identity/oidc/testing.ts";
import app from "../../index.ts";

const provider = env.OIDC_TEST;
const SECRET = `sign-in-test-${"x".repeat(32)}`;
const ORIGIN = "http://localhost";

// The edge as a deployment with OIDC sign-in configured, against the real provider on loopback.
const oidcEnv: Env = {
  ...env,
  SDGATE_OIDC_ISSUER: provider.issuer,
  SDGATE_OIDC_CLIENT_ID: provider.clientId,
  SDGATE_OIDC_CLIENT_SECRET: provider.clientSecret,
  SDGATE_OIDC_SCOPES: "openid email profile groups",
  SDGATE_OIDC_ALLOW_LOOPBACK: "true",
  SDGATE_SIGN_IN_SECRET: SECRET,
  SDGATE_LOCAL_SIGN_IN: "true",
};

/** A browser's cookie jar, for the cookies the edge sets. */
function jar() {
  const cookies = new Map<string, string>();
  return {
    take(response: Response) {
      for (const line of response.headers.getSetCookie()) {
        const [pair = ""] = line.split(";");
        const at = pair.indexOf("=");
        const value = pair.slice(at + 1);
        if (value === "" || /max-age=0/i.test(line)) cookies.delete(pair.slice(0, at));
        else cookies.set(pair.slice(0, at), value);
      }
    },
    header: () => [...cookies].map(([name, value]) => `${name}=${value}`).join("; "),
    has: (name: string) => cookies.has(name),
  };
}

async function browse(path: string, cookies: ReturnType<typeof jar>, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("Cookie", cookies.header());
  const response = await app.request(new URL(path, ORIGIN).href, { ...init, headers }, oidcEnv);
  cookies.take(response);
  return response;
}

/** Signs `account` in through the provider, as a browser would, and returns its cookies. */
async function signIn(account: string, returnTo = "/studio") {
  const cookies = jar();
  const start = await browse(`/auth/oidc/login?return_to=${encodeURIComponent(returnTo)}`, cookies);
  expect(start.status).toBe(302);
  const callback = await signInAt(start.headers.get("Location") ?? "", {
    account,
    redirectUri: `${ORIGIN}/auth/oidc/callback`,
  });
  const landed = await browse(callback.pathname + callback.search, cookies);
  return { cookies, landed };
}

describe("signing in through an OpenID Connect provider", () => {
  it("maps the provider's groups to roles, starts a session and lands where the person was going", async () => {
    const team = await newTeam("research");
    await rule("ml-research", team.id, "developer");
    const { cookies, landed } = await signIn("bob");
    expect(landed.status).toBe(302);
    expect(landed.headers.get("Location")).toBe("/studio");
    expect(cookies.has("sdgate_session")).toBe(true);
    expect(cookies.has("sdgate_oidc")).toBe(false);
    const me = await browse("/v1/me", cookies);
    expect(await me.json()).toMatchObject({
      kind: "user",
      email: provider.accounts.bob?.email,
      teams: [{ id: team.id, role: "developer" }],
      roles: [],
    });
    // A team's developer reaches no deployment-wide admin route.
    expect((await browse("/admin/keys", cookies)).status).toBe(403);
    // The sign-in is audited with the person as actor and the roles their groups gave.
    const me2 = (await (await browse("/v1/me", cookies)).json()) as { id: string };
    const audit = await app.request(
      `${ORIGIN}/admin/audit?limit=50`,
      { headers: { Authorization: `Bearer ${env.SDGATE_ADMIN_TOKEN}` } },
      oidcEnv,
    );
    const rows = ((await audit.json()) as { data: Array<{ actor: string; action: string; detail: unknown }> })
      .data;
    expect(
      rows.find((row) => row.actor === `user:${me2.id}` && row.action === "session.create")?.detail,
    ).toMatchObject({
      groups: "ml-research",
      roles: `${team.id}:developer`,
    });
  });

  it("refuses a callback without the browser's pending sign-in, and a replayed one", async () => {
    const cookies = jar();
    const start = await browse("/auth/oidc/login", cookies);
    const callback = await signInAt(start.headers.get("Location") ?? "", {
      account: "carol",
      redirectUri: `${ORIGIN}/auth/oidc/callback`,
    });
    const stranger = await app.request(`${ORIGIN}${callback.pathname}${callback.search}`, {}, oidcEnv);
    expect(stranger.status).toBe(400);
    const first = await browse(callback.pathname + callback.search, cookies);
    expect(first.status).toBe(302);
    // The pending cookie is gone after one use; the provider's code works once.
    const again = await browse(callback.pathname + callback.search, cookies);
    expect(again.status).toBe(400);
  });

  it("refuses a return_to that leaves this origin", async () => {
    const start = await browse("/auth/oidc/login?return_to=https://evil.example/", jar());
    expect(start.status).toBe(400);
  });

  it("signs out here, or everywhere, and the sessions end at once", async () => {
    await rule("sdgate-admins", null, "admin");
    const laptop = (await signIn("alice")).cookies;
    const phone = (await signIn("alice")).cookies;
    expect((await browse("/admin/keys", laptop)).status).toBe(200);
    const crossSite = await browse("/auth/logout", laptop, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site" },
      body: "{}",
    });
    expect(crossSite.status).toBe(403);
    const out = await browse("/auth/logout", laptop, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: ORIGIN },
      body: JSON.stringify({ everywhere: true }),
    });
    expect(out.status).toBe(200);
    expect(await out.json()).toMatchObject({ object: "signed_out", sessions_ended: 2 });
    expect((await browse("/v1/me", phone)).status).toBe(401);
    expect((await browse("/admin/keys", laptop)).status).toBe(401);
  });
});

describe("npm start's one-time sign-in link", () => {
  it("signs the local admin in once, and refuses the same link again", async () => {
    const token = await mintLocalSignInToken(SECRET);
    const cookies = jar();
    const first = await browse(`/auth/local?token=${token}`, cookies);
    expect(first.status).toBe(302);
    expect(await (await browse("/v1/me", cookies)).json()).toMatchObject({ kind: "user", roles: ["admin"] });
    expect((await browse("/admin/keys", cookies)).status).toBe(200);
    expect((await browse(`/auth/local?token=${token}`, jar())).status).toBe(401);
    const forged = await mintLocalSignInToken("another-secret-of-thirty-two-chars!!");
    expect((await browse(`/auth/local?token=${forged}`, jar())).status).toBe(401);
  });

  it("lands on return_to, a path on this site, and refuses one leading elsewhere without using the link", async () => {
    const token = await mintLocalSignInToken(SECRET);
    const cookies = jar();
    for (const away of ["https://evil.example/", "//evil.example/studio/", "/\\evil.example"]) {
      const refused = await browse(`/auth/local?token=${token}&return_to=${encodeURIComponent(away)}`, jar());
      expect(refused.status).toBe(400);
      expect(await refused.json()).toMatchObject({ error: { code: "invalid_request", param: "return_to" } });
    }
    const landed = await browse(
      `/auth/local?token=${token}&return_to=${encodeURIComponent("/studio/")}`,
      cookies,
    );
    expect(landed.status).toBe(302);
    expect(landed.headers.get("Location")).toBe("/studio/");
    expect((await browse("/v1/me", cookies)).status).toBe(200);
  });

  it("is off where SDGATE_LOCAL_SIGN_IN is not set", async () => {
    const token = await mintLocalSignInToken(SECRET);
    expect((await app.request(`${ORIGIN}/auth/local?token=${token}`, {}, env)).status).toBe(404);
  });
});
