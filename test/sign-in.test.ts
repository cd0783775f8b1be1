import chromium from "@sparticuz/chromium";
import { type Browser, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningOidcProvider, startOidcProvider } from "../edge/test/oidc-provider.ts";
import { useLocalStack } from "./support/local-stack.ts";

// A person signs in to the real local stack in a real browser: through an OpenID Provider on
// loopback (oidc-provider, its own sign-in form), and with the one-time link `npm start` prints.
// Contexts are left open until the browser closes: this Chromium runs as one process, and closing
// a context can take the browser with it.
let provider: RunningOidcProvider | undefined;
const stack = useLocalStack("sign-in", {
  edgeVars: async (edgeUrl) => {
    provider = await startOidcProvider({
      redirectUris: [`${edgeUrl}/auth/oidc/callback`],
      postLogoutRedirectUris: [`${edgeUrl}/`],
    });
    return {
      SDGATE_OIDC_ISSUER: provider.issuer,
      SDGATE_OIDC_CLIENT_ID: provider.clientId,
      SDGATE_OIDC_CLIENT_SECRET: provider.clientSecret,
      SDGATE_OIDC_SCOPES: "openid email profile groups",
      SDGATE_OIDC_ALLOW_LOOPBACK: "true",
    };
  },
});

let browser: Browser;
beforeAll(async () => {
  browser = await playwright.launch({ executablePath: await chromium.executablePath(), args: chromium.args });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await provider?.close();
});

/** The JSON the page shows (Chromium renders a JSON answer as text). */
async function pageJson(page: import("playwright-core").Page): Promise<Record<string, unknown>> {
  return JSON.parse(((await page.locator("body").textContent()) ?? "").trim()) as Record<string, unknown>;
}

describe("signing in, in a browser", () => {
  it("through the OpenID Provider: its form, back to where the person was going, a session", async () => {
    const { url } = stack.current();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${url}/auth/oidc/login?return_to=${encodeURIComponent("/v1/me")}`);
    await page.selectOption("select[name=account]", "bob");
    await Promise.all([page.waitForURL(`${url}/v1/me`), page.click("button:has-text('Sign in')")]);
    expect(await pageJson(page)).toMatchObject({
      kind: "user",
      email: provider?.accounts.bob?.email,
      roles: [],
      permissions: [],
    });
    const cookies = await context.cookies(url);
    expect(cookies.find((cookie) => cookie.name === "sdgate_session")).toMatchObject({
      httpOnly: true,
      sameSite: "Lax",
    });
    // Signing out from the page ends the session.
    const out = await page.evaluate(async () => {
      const response = await fetch("/auth/logout", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: "{}",
      });
      return { status: response.status, body: await response.json() };
    });
    expect(out).toMatchObject({ status: 200, body: { object: "signed_out", sessions_ended: 1 } });
    await page.goto(`${url}/v1/me`);
    expect(await pageJson(page)).toMatchObject({ error: { code: "missing_api_key" } });
  }, 60_000);

  it("with npm start's one-time link: the local admin, once", async () => {
    const { url, signInSecret } = stack.current();
    const { mintLocalSignInToken } = await import("@sdgate/shared");
    const link = `${url}/auth/local?token=${await mintLocalSignInToken(signInSecret)}`;
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(link);
    await page.goto(`${url}/v1/me`);
    expect(await pageJson(page)).toMatchObject({ kind: "user", roles: ["admin"] });
    await page.goto(`${url}/admin/keys`);
    expect(await pageJson(page)).toMatchObject({ object: "list" });
    const again = await (await browser.newContext()).newPage();
    await again.goto(link);
    expect(await pageJson(again)).toMatchObject({ error: { code: "invalid_api_key" } });
  }, 60_000);
});
