import { expect, it } from "vitest";
import { ensureStudioKey, type StudioHarness } from "./harness.ts";

/** The playground's draft, as its URL keeps it: tiny requests, so the grid runs in seconds. */
const DRAFT = "?prompt=a%20sweep%20of%20lighthouses&width=64&height=64&steps=1&seed=5&output_format=png";

const headers = (scope: "col" | "row") =>
  `[...document.querySelectorAll(".sweep-grid th[scope=${scope}]")].map((th) => th.textContent)`;

/** Sweeps: price before running, a refusal past the credit cap, a 2×2 grid run and filled, swap, open a cell. */
export function sweepsScenarios(studio: StudioHarness): void {
  it("prices a 2×2 sweep, refuses one past the credit cap with the reason, runs it, swaps its axes and opens a cell", async () => {
    const page = await studio.signInLocalAdmin({ hash: `${DRAFT}#/sweeps` });
    await ensureStudioKey(page);
    // The base request is the playground's draft.
    expect(await page.getByLabel("Prompt", { exact: true }).inputValue()).toBe("a sweep of lighthouses");
    await page.getByLabel("X (across) field").selectOption("steps");
    await page.getByLabel("X (across) values").fill("1, 2");
    await page.getByLabel("Y (down) field").selectOption("seed");
    await page.getByLabel("Y (down) values").fill("5, 6");
    const price = page.getByRole("status", { name: "Sweep price" });
    await price.getByText(/^4 cells · \d+ credits · .* GPU-seconds · /).waitFor();
    const run = page.getByRole("button", { name: "Run sweep" });
    expect(await run.isEnabled()).toBe(true);

    // Too expensive for the cap: the reason is shown and it cannot run.
    await page.getByLabel("Credit cap").fill("1");
    await price
      .getByText(/Cannot run: The sweep's 4 cells cost \d+ credits, more than max_credits \(1\)\./)
      .waitFor();
    expect(await run.isDisabled()).toBe(true);
    await studio.shoot(page, "sweeps-builder-1280");
    await page.getByLabel("Credit cap").fill("");
    await price.getByText(/^4 cells/).waitFor();
    await expect.poll(() => run.isEnabled()).toBe(true);
    await studio.expectAccessible(page);

    await run.click();
    await page.waitForURL(/#\/sweeps\/sweep_[0-9a-f]{32}$/);
    const progress = page.getByRole("status", { name: "Sweep progress" });
    await progress.getByText(/^4 of 4 done/).waitFor({ timeout: 60_000 });
    // Every cell shows its image, served by the edge (64 × 64).
    const grid = page.getByRole("region", { name: "Grid" });
    await expect.poll(() => grid.locator("img").count()).toBe(4);
    await expect
      .poll(() =>
        page.evaluate<number[]>(
          `[...document.querySelectorAll(".sweep-grid img")].map((img) => img.naturalWidth)`,
        ),
      )
      .toEqual([64, 64, 64, 64]);
    expect(await page.evaluate<string[]>(headers("col"))).toEqual(["Steps: 1", "Steps: 2"]);
    expect(await page.evaluate<string[]>(headers("row"))).toEqual(["Seed: 5", "Seed: 6"]);

    // The sweep is kept server-side: a reload shows the same grid.
    await page.reload();
    await progress.getByText(/^4 of 4 done/).waitFor();
    await page.getByRole("button", { name: "Swap X and Y" }).click();
    await expect.poll(() => page.evaluate<string[]>(headers("col"))).toEqual(["Seed: 5", "Seed: 6"]);
    expect(await page.evaluate<string[]>(headers("row"))).toEqual(["Steps: 1", "Steps: 2"]);
    expect(page.url()).toContain("axes=1%2C0");
    await expect.poll(() => grid.locator("img").count()).toBe(4);
    await studio.expectAccessible(page);
    await studio.shoot(page, "sweeps-1280");

    // Any cell opens large, with its recipe and the playground with its request.
    await page.getByRole("button", { name: /^Open the cell Seed: 6, Steps: 2 \(Done\)$/ }).click();
    const dialog = page.getByRole("dialog", { name: "Cell Steps: 2, Seed: 6" });
    await dialog.waitFor();
    expect(
      await dialog
        .getByRole("img")
        .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
    ).toBe(64);
    await dialog.getByText("seed").first().waitFor();
    const href =
      (await dialog.getByRole("link", { name: "Open in the playground" }).getAttribute("href")) ?? "";
    const query = new URLSearchParams(href.slice(1, href.indexOf("#")));
    expect(href.endsWith("#/playground")).toBe(true);
    expect(Object.fromEntries(query)).toMatchObject({ steps: "2", seed: "6", seed_locked: "1" });
    await studio.expectAccessible(page);
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "hidden" });

    // The grid as laid out now (seed across), shared: a signed-out browser opens the same four images.
    await page.getByRole("button", { name: "Create share link" }).click();
    const link = await page.getByLabel(/^Share link/).inputValue();
    expect(link).toContain("/studio/#/share/shr1.");
    const outside = await (
      await studio.browser().newContext({ viewport: { width: 1280, height: 900 } })
    ).newPage();
    await outside.goto(link);
    await expect.poll(() => outside.locator("main img").count()).toBe(4);
    expect(await outside.getByRole("navigation", { name: "Studio" }).count()).toBe(0);
    // As laid out when shared: seed across, steps down.
    await outside.getByText("Steps (rows) × Seed (columns)").waitFor();

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await studio.fitsWidth(page)).toBe(true);
    await studio.shoot(page, "sweeps-390");
  }, 120_000);
}
