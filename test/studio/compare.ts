import { isSdgateApiError, Sdgate } from "@sdgate/sdk";
import type { Page } from "playwright-core";
import { expect, it, vi } from "vitest";
import { ensureStudioKey, type StudioHarness } from "./harness.ts";

/** The signed-in person's Studio key, as the Studio keeps it in this browser. */
async function studioKeyOf(page: Page): Promise<string> {
  return page.evaluate<string>(`(() => {
    const slot = Object.keys(localStorage).find((name) => name.startsWith("sdgate.studio.key."));
    return JSON.parse(localStorage.getItem(slot)).key;
  })()`);
}

/** The inline styles of the panes' zoomed content: one transform for all when zoom is synced. */
async function transformsOf(page: Page, selector: string): Promise<string[]> {
  const zoomed = page.locator(`${selector} .zoomed`);
  const count = await zoomed.count();
  const styles = await Promise.all(
    Array.from({ length: count }, (_, index) => zoomed.nth(index).getAttribute("style")),
  );
  return styles.map((style) => /transform: ([^;]+)/.exec(style ?? "")?.[1] ?? "");
}

/** What the pixel difference reports: the share of pixels that differ (%) and the largest difference. */
const DIFFERENCE = /([\d.]+) % of pixels differ · largest difference (\d+) of 255/;

async function differenceOf(page: Page): Promise<{ percent: number; max: number }> {
  const status = page.getByRole("status", { name: "Pixel difference" });
  // A new pair re-runs the comparison ("Comparing pixels…"), which can start between seeing a result
  // and reading it on a loaded machine: read until a result is there. The test's timeout bounds it.
  for (;;) {
    await status.getByText(DIFFERENCE).waitFor();
    const match = DIFFERENCE.exec((await status.textContent()) ?? "");
    if (match) return { percent: Number(match[1]), max: Number(match[2]) };
  }
}

/** Compare (slider, fade, pixel difference, synced zoom, parameter diff) and share links. */
export function compareScenarios(studio: StudioHarness): void {
  it("compares two runs in every mode with synced zoom, shares them with a signed-out browser, and revokes the link", async () => {
    const { url } = studio.stack();
    const page = await studio.signInLocalAdmin({ hash: "#/compare" });
    await ensureStudioKey(page);

    // Two runs of the person's key through the API: tiny, 64×64, two seeds.
    const client = new Sdgate({ baseUrl: url, apiKey: await studioKeyOf(page), timeoutMs: 60_000 });
    const prompt = `a compared lighthouse ${crypto.randomUUID().slice(0, 8)}`;
    for (const seed of [101, 202]) await client.images.generate({ prompt, seed, size: "64x64", steps: 2 });
    await vi.waitFor(async () => expect((await client.runs.list({ q: prompt })).data).toHaveLength(2), {
      timeout: 15_000,
    });

    // The picker adds them from the team's recent runs.
    await page.reload();
    const picker = page.getByRole("region", { name: "Add runs" });
    await picker.getByRole("button", { name: `Add ${prompt}, seed 101` }).click();
    await picker.getByRole("button", { name: `Add ${prompt}, seed 202` }).click();
    await page.waitForURL(/#\/compare\?runs=/);
    const ids = new URLSearchParams(new URL(page.url()).hash.split("?")[1]).get("runs")?.split(",") ?? [];
    expect(ids).toHaveLength(2);

    // The parameter diff names the seed, and only what differs is marked.
    const parameters = page.getByRole("region", { name: "Parameters" });
    await parameters.getByRole("row", { name: /^seed\s+differs\s+101\s+202$/ }).waitFor();
    expect(await parameters.getByRole("row", { name: /^prompt / }).textContent()).not.toContain("differs");
    await page.getByRole("img", { name: "Run 2 · seed 202" }).waitFor();

    // Zoom is one for every pane: the wheel over the first, + on the second, the toolbar.
    await page.getByRole("region", { name: /^Run 1 · seed 101:/ }).hover();
    await page.mouse.wheel(0, -100);
    let transforms = await transformsOf(page, ".side-by-side");
    expect(transforms).toHaveLength(2);
    expect(transforms[0]).toContain("scale(1.5)");
    expect(transforms[1]).toBe(transforms[0]);
    await page.getByRole("region", { name: /^Run 2 · seed 202:/ }).focus();
    await page.keyboard.press("+");
    transforms = await transformsOf(page, ".side-by-side");
    expect(transforms[0]).toContain("scale(2.25)");
    expect(transforms[1]).toBe(transforms[0]);
    await page.getByRole("button", { name: "Reset zoom" }).click();
    await page.getByRole("button", { name: "Zoom in" }).click();

    // Slider: the divider follows its range, from the keyboard too; the zoom carries over.
    await page.getByRole("radio", { name: "Slider" }).check();
    const divider = page.getByLabel("Divider position");
    await divider.fill("30");
    await divider.press("ArrowRight");
    expect(await divider.inputValue()).toBe("31");
    expect(await page.locator(".slider-view .layer").nth(1).getAttribute("style")).toContain(
      "inset(0px 69% 0px 0px)",
    );
    expect(new Set(await transformsOf(page, ".slider-view"))).toEqual(
      new Set(["translate(-50%, -50%) scale(2)"]),
    );
    await studio.shoot(page, "compare-1280");

    // Fade: the second run's opacity.
    await page.getByRole("radio", { name: "Fade" }).check();
    await page.getByLabel("Opacity of Run 2 · seed 202").fill("25");
    expect(await page.locator(".fade-view .layer").nth(1).getAttribute("style")).toContain("opacity: 0.25");

    // Pixel difference: two seeds differ.
    await page.getByRole("radio", { name: "Pixel difference" }).check();
    const different = await differenceOf(page);
    expect(different.percent).toBeGreaterThan(0);
    expect(different.max).toBeGreaterThan(0);
    await studio.expectAccessible(page);

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await studio.fitsWidth(page)).toBe(true);
    await studio.shoot(page, "compare-390");
    await page.setViewportSize({ width: 1280, height: 900 });

    // The same run twice: no difference at all.
    await page.goto(`${url}/studio/#/compare?runs=${ids[0]},${ids[0]}`);
    await page.getByRole("radio", { name: "Pixel difference" }).check();
    // Until the page compares the new pair, it may still show the last pair's (non-zero) result.
    await expect.poll(() => differenceOf(page), { timeout: 30_000 }).toEqual({ percent: 0, max: 0 });
    await parameters.getByText("The requests are the same.").waitFor();

    // Share the two for 30 days.
    await page.goto(`${url}/studio/#/compare?runs=${ids.join(",")}`);
    await page.getByLabel("Link expires in").selectOption("30");
    await page.getByRole("button", { name: "Create share link" }).click();
    const link = await page.getByLabel(/^Share link/).inputValue();
    expect(link).toMatch(new RegExp(`^${url}/studio/#/share/shr1\\.[0-9a-f]{32}\\.[0-9a-f]{64}$`));
    const kept = (await client.shares.list()).data.find((share) => share.title === prompt);
    expect(kept?.status).toBe("active");
    expect((Date.parse(kept?.expires_at ?? "") - Date.parse(kept?.created_at ?? "")) / 86_400_000).toBe(30);

    // A fresh browser, signed out, opens it: the comparison, read-only, every mode.
    const outside = await (
      await studio.browser().newContext({ viewport: { width: 1280, height: 900 } })
    ).newPage();
    await outside.goto(link);
    await outside.getByRole("heading", { name: prompt }).waitFor();
    expect(await outside.getByRole("navigation", { name: "Studio" }).count()).toBe(0);
    expect(await outside.getByRole("button", { name: "Create share link" }).count()).toBe(0);
    await outside.getByRole("img", { name: "Run 1 · seed 101" }).waitFor();
    await outside
      .getByRole("region", { name: "Parameters" })
      .getByRole("row", { name: /^seed differs/ })
      .waitFor();
    await outside.getByRole("radio", { name: "Pixel difference" }).check();
    expect((await differenceOf(outside)).max).toBeGreaterThan(0);
    await outside.getByRole("radio", { name: "Side by side" }).check();
    await studio.expectAccessible(outside);
    await studio.shoot(outside, "share-1280");

    // A run with its recipe, and a grid the caller laid out, open the same way.
    const one = await client.shares.create({ layout: { kind: "run", run: ids[1] ?? "" } });
    await outside.goto(one.url);
    await outside.getByRole("img", { name: "Shared result 1, seed 202" }).waitFor();
    await outside
      .getByRole("region", { name: "Parameters" })
      .getByRole("row", { name: /^seed\s+202$/ })
      .waitFor();
    const grid = await client.shares.create({
      layout: {
        kind: "grid",
        x: { label: "seed", values: ["101", "202"] },
        y: { label: "steps", values: ["2"] },
        cells: ids.map((run, x) => ({ x, y: 0, run })),
      },
    });
    await outside.goto(grid.url);
    await outside.getByRole("heading", { name: "seed × steps" }).waitFor();
    await outside.getByRole("img", { name: `seed 202, steps 2: ${prompt}` }).waitFor();
    await studio.expectAccessible(outside);
    await outside.goto(link);

    // Revoked on the shares page: the link is gone at once, for the page and the API alike.
    await page.goto(`${url}/studio/#/shares`);
    await page.getByRole("button", { name: `Revoke comparison “${prompt}”` }).click();
    await page.getByText(`Revoked comparison “${prompt}”`).waitFor();
    await studio.expectAccessible(page);
    expect((await client.shares.list()).data.find((share) => share.id === kept?.id)?.status).toBe("revoked");
    await outside.reload();
    await outside.getByText("This share link does not exist, has expired or was revoked.").waitFor();
    const token = link.slice(link.indexOf("#/share/") + "#/share/".length);
    const gone = await new Sdgate({ baseUrl: url, maxRetries: 0 }).shares
      .get(token)
      .catch((error: unknown) => error);
    expect(isSdgateApiError(gone) && gone.status).toBe(404);
  }, 150_000);
}
