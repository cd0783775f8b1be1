import { expect, it } from "vitest";
import type { StudioHarness } from "./harness.ts";

/** The playground: sign in, the key, the estimate, a job with its progress, the image, its PNG info. */
export function playgroundScenarios(studio: StudioHarness): void {
  it("signs in, makes the person's key, estimates, runs a job with progress, and reads the image's PNG info back", async () => {
    const { url } = studio.stack();
    const outside = await (
      await studio.browser().newContext({ viewport: { width: 1280, height: 720 } })
    ).newPage();
    await outside.goto(`${url}/studio/`);
    await outside.getByRole("link", { name: "Sign in" }).waitFor();
    expect(await outside.getByRole("link", { name: "Sign in" }).getAttribute("href")).toBe(
      "/auth/oidc/login?return_to=%2Fstudio%2F",
    );
    await studio.shoot(outside, "sign-in-1280");

    // npm start's link, as it prints it: signed in, then on the Studio (its first page, the playground).
    const page = await studio.signInLocalAdmin();
    expect(
      await page.getByRole("navigation", { name: "Studio" }).getByRole("link").first().textContent(),
    ).toBe("Playground");
    await page.getByRole("button", { name: "Create my Studio key" }).click();
    await page.getByText("Studio · Local admin").first().waitFor();
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual(["sdgate.studio.key.-"]);

    await page.getByLabel("Prompt", { exact: true }).fill("a lighthouse in the studio");
    await page.getByLabel("Size").selectOption("64x64");
    await page.getByLabel("Steps").fill("2");
    await page
      .getByRole("status", { name: "Estimate" })
      .getByText(/GPU-seconds .* credits/)
      .waitFor();

    // Every text the run shows, as it changes: queue, progress, done.
    await page.evaluate(`
      window.seen = [];
      new MutationObserver(() => {
        const text = document.querySelector(".job p")?.textContent;
        if (text && window.seen.at(-1) !== text) window.seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    `);
    // Every control has a name a screen reader says, and Run is reached and pressed from the keyboard.
    const unnamed = await page.evaluate<
      string[]
    >(`[...document.querySelectorAll("input, select, textarea, button")]
      .filter((el) => el.labels?.length === 0 && !el.getAttribute("aria-label") && !el.textContent.trim())
      .map((el) => el.outerHTML)`);
    expect(unnamed).toEqual([]);
    await page.getByLabel("Output format").focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string>("document.activeElement.textContent")).toBe("Run");
    await page.keyboard.press("Enter");
    const image = page.getByRole("img", { name: /^Result 1, seed \d+$/ });
    await image.waitFor({ timeout: 30_000 });
    const seen = await page.evaluate<string[]>("window.seen");
    expect(seen.at(-1)).toMatch(/: Done$/);
    expect(seen.some((text) => /Queued|Running/.test(text))).toBe(true);
    expect(await page.getByRole("progressbar", { name: "Progress" }).getAttribute("value")).toBe("1");
    await page.getByText(/\d+ credits for what ran/).waitFor();
    await studio.shoot(page, "playground-1280");

    // The image it made fills the form back (PNG info), its seed kept.
    const source = (await image.getAttribute("src")) ?? "";
    const seed = /seed (\d+)/.exec((await image.getAttribute("alt")) ?? "")?.[1];
    await page.getByLabel("Prompt", { exact: true }).fill("something else");
    await page.getByLabel(/PNG info/).setInputFiles({
      name: "made.png",
      mimeType: "image/png",
      buffer: Buffer.from(source.replace(/^data:image\/png;base64,/, ""), "base64"),
    });
    await page
      .getByRole("status", { name: "PNG info" })
      .getByText("Form filled from an sdgate image.")
      .waitFor();
    expect(await page.getByLabel("Prompt", { exact: true }).inputValue()).toBe("a lighthouse in the studio");
    expect(await page.getByLabel("Seed", { exact: true }).inputValue()).toBe(seed);
    expect(await page.getByLabel("Steps").inputValue()).toBe("2");

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await studio.fitsWidth(page)).toBe(true);
    await studio.shoot(page, "playground-390");
  }, 90_000);
}
