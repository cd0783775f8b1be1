import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { Sdgate } from "@sdgate/sdk";
import { mintLocalSignInToken } from "@sdgate/shared";
import chromium from "@sparticuz/chromium";
import { type Browser, type Page, chromium as playwright } from "playwright-core";
import { afterAll, beforeAll, expect } from "vitest";
import type { Stack } from "../../scripts/stack/start-stack.ts";

// Screenshots of each Studio page: into docs/img/ with SDGATE_UPDATE_SCREENSHOTS=1 (docs/studio.md
// shows them), else beside the stack's logs, so a test run leaves the checkout as it was.
const SHOTS = new URL(
  process.env.SDGATE_UPDATE_SCREENSHOTS === "1" ? "../../docs/img/" : "../../.sdgate/screenshots/",
  import.meta.url,
);

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** What every Studio scenario is given: the stack, a real browser, and ways to sign a person in. */
export interface StudioHarness {
  stack(): Stack;
  browser(): Browser;
  /** A client on the stack's API key (its team-less developer key). */
  client(): Sdgate;
  /** A client on the stack's admin token. */
  admin(): Sdgate;
  /** The local admin, signed in with npm start's one-time link, on `/studio/<hash>`, with their Studio key. */
  signInLocalAdmin(options?: { width?: number; height?: number; hash?: string }): Promise<Page>;
  /** A person of the OpenID Provider, by login, signed in through its form and landed on `/studio/<hash>`. */
  signInAs(login: string, options?: { width?: number; height?: number; hash?: string }): Promise<Page>;
  /** Saves `docs/img/studio-<name>.png` (with SDGATE_UPDATE_SCREENSHOTS=1). */
  shoot(page: Page, name: string): Promise<void>;
  /** Whether the page fits its viewport's width (nothing to scroll sideways). */
  fitsWidth(page: Page): Promise<boolean>;
  /** Fails on any axe-core violation of serious or critical impact, naming each rule and element. */
  expectAccessible(page: Page): Promise<void>;
}

/**
 * Sets up the Studio's browser tests on a running stack: one Chromium for the file (its own,
 * multi-process: in one process a second context's fetches go out without its cookies, and the
 * Studio's calls ride on the session cookie).
 */
export function useStudioHarness(stack: () => Stack): StudioHarness {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await playwright.launch({
      executablePath: await chromium.executablePath(),
      args: chromium.args.filter((arg) => arg !== "--single-process"),
    });
    mkdirSync(SHOTS, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  const open = async (options: { width?: number; height?: number } = {}) => {
    if (browser === undefined) throw new Error("the Studio's browser is not running");
    const context = await browser.newContext({
      viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    });
    return context.newPage();
  };

  const harness: StudioHarness = {
    stack,
    browser() {
      if (browser === undefined) throw new Error("the Studio's browser is not running");
      return browser;
    },
    client: () => new Sdgate({ baseUrl: stack().url, apiKey: stack().apiKey, timeoutMs: 60_000 }),
    admin: () => new Sdgate({ baseUrl: stack().url, adminToken: stack().adminToken }),

    async signInLocalAdmin(options = {}) {
      const { url, signInSecret } = stack();
      const page = await open(options);
      const link = `${url}/auth/local?token=${await mintLocalSignInToken(signInSecret)}&return_to=/studio/`;
      await Promise.all([page.waitForURL(`${url}/studio/`), page.goto(link)]);
      if (options.hash !== undefined) await page.goto(`${url}/studio/${options.hash}`);
      return page;
    },

    async signInAs(login, options = {}) {
      const { url } = stack();
      const page = await open(options);
      await page.goto(`${url}/auth/oidc/login?return_to=${encodeURIComponent("/studio/")}`);
      await page.selectOption("select[name=account]", login);
      await Promise.all([page.waitForURL(`${url}/studio/`), page.click("button:has-text('Sign in')")]);
      if (options.hash !== undefined) await page.goto(`${url}/studio/${options.hash}`);
      return page;
    },

    async shoot(page, name) {
      await page.screenshot({ path: fileURLToPath(new URL(`studio-${name}.png`, SHOTS)), fullPage: true });
    },

    // Strings: this project's tests compile without the DOM's types.
    fitsWidth: (page) => page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth"),

    async expectAccessible(page) {
      // Evaluated through the DevTools protocol, so the page's Content-Security-Policy does not apply.
      await page.evaluate(AXE_SOURCE);
      const violations = await page.evaluate<Array<{ id: string; impact: string; targets: string[] }>>(`
        axe.run(document, { resultTypes: ["violations"] }).then((result) =>
          result.violations
            .filter((violation) => violation.impact === "serious" || violation.impact === "critical")
            .map((violation) => ({
              id: violation.id,
              impact: violation.impact,
              targets: violation.nodes.map((node) => node.target.join(" ")),
            })))`);
      expect(violations).toEqual([]);
    },
  };
  return harness;
}

/**
 * Makes the signed-in person's Studio key on the page when they have none yet (the key card's button).
 *
 * @example
 * await ensureStudioKey(page);
 */
export async function ensureStudioKey(page: Page): Promise<void> {
  const create = page.getByRole("button", { name: "Create my Studio key" });
  const using = page.getByText(/^Using /);
  await create.or(using).first().waitFor();
  if (await create.isVisible()) {
    await create.click();
    await using.waitFor();
  }
}
