import { readFile } from "node:fs/promises";
import { Sdgate } from "@sdgate/sdk";
import type { Page } from "playwright-core";
import { expect, it } from "vitest";
import type { OidcTestAccount } from "../../edge/src/identity/oidc/test-provider.d.ts";
import type { StudioHarness } from "./harness.ts";

/** The IdP group the usage scenario maps to the billing role in its team. */
const BILLING_GROUP = "studio-usage-billing";

/** A person of the test OpenID Provider whose only group is mapped to `billing` in one team. */
export const BILLING_ACCOUNT: OidcTestAccount = {
  login: "billie",
  sub: "user-b1111e",
  email: "billie@example.com",
  name: "Billie Billing",
  groups: [BILLING_GROUP],
};

const PROMPT = "a usage dashboard lighthouse";
const credits = (n: number) => `${n} ${n === 1 ? "credit" : "credits"}`;

/** The number a tile shows, by the tile's name. */
async function tile(page: Page, name: string): Promise<string> {
  const value = page.locator(".usage-tile").filter({ has: page.getByRole("term").filter({ hasText: name }) });
  return (await value.locator(".value").textContent()) ?? "";
}

async function legend(page: Page): Promise<string[]> {
  return page.getByRole("list", { name: "Legend" }).getByRole("listitem").allTextContents();
}

/** The usage dashboard: tiles, the chart's groupings, the CSV, and the billing role's money view. */
export function usageScenarios(studio: StudioHarness): void {
  it("shows a team's images, credits and cache savings, groups its chart, downloads it as CSV, and gives billing money only", async () => {
    const admin = studio.admin();
    const team = await admin.teams.create(`usage-${crypto.randomUUID().slice(0, 8)}`);
    await admin.teams.setBudget(team.id, { monthly_credits: 100_000 });
    await admin.roleMappings.create({ idp_group: BILLING_GROUP, team_id: team.id, role: "billing" });
    const key = await admin.keys.create({ name: "usage scenario", team_id: team.id });
    const client = new Sdgate({ baseUrl: studio.stack().url, apiKey: key.key, timeoutMs: 60_000 });
    // A seeded request twice: the second is a replay, which the cache-savings tile counts.
    const request = { prompt: PROMPT, size: "64x64", steps: 2, seed: 4242 } as const;
    await client.images.generate(request);
    await client.images.generate(request);
    // The audit log takes generations in batches, a moment after their answers.
    await expect
      .poll(async () => (await admin.usage({ team_id: team.id, group_by: "model" })).totals, {
        timeout: 15_000,
      })
      .toMatchObject({ requests: 2, cache_hits: 1, images: 2 });
    const report = await admin.usage({ team_id: team.id, group_by: "model" });
    expect(report.totals.saved_credits).toBeGreaterThan(0);
    const model = report.data[0]?.group ?? "";

    // Signed in and the Studio up first, then the dashboard's own URL (a shared link's filters).
    const page = await studio.signInLocalAdmin();
    await page.getByRole("navigation", { name: "Studio" }).getByRole("link", { name: "Usage" }).waitFor();
    await page.goto(`${studio.stack().url}/studio/#/usage?team=${team.id}&period=7d`);
    await page.getByRole("heading", { name: "Usage" }).waitFor();
    await page.locator(".usage-tiles").waitFor();
    // An admin picks from every team (listed once the page has them).
    await expect.poll(() => page.getByLabel("Team").locator("option:checked").textContent()).toBe(team.name);
    expect(await tile(page, "Images")).toBe("2");
    expect(await tile(page, "Credits")).toBe(String(report.totals.credits));
    expect(await tile(page, "Cache savings")).toBe(credits(report.totals.saved_credits));
    await expect.poll(() => tile(page, "Budget used"), { timeout: 15_000 }).toMatch(/^\d+%$/);
    expect(await legend(page)).toEqual([expect.stringContaining(team.name)]);
    // The chart is one image with a summary for its name, and its numbers as a table.
    const chart = page.getByRole("img", { name: /^Credits by team, per day/ });
    expect(await chart.getAttribute("aria-label")).toContain(`${team.name} ${report.totals.credits}`);
    expect(await page.getByRole("table", { name: "Credits by team, per day" }).count()).toBe(1);

    await page.getByLabel("Group by").selectOption("model");
    await page.getByRole("img", { name: /^Credits by model/ }).waitFor();
    expect(await legend(page)).toEqual([expect.stringContaining(model)]);
    // A series opens its runs in the history.
    expect(await page.getByRole("list", { name: "Legend" }).getByRole("link").getAttribute("href")).toBe(
      `#/history?model=${encodeURIComponent(model)}`,
    );
    await page.getByLabel("Chart").selectOption("images");
    await page.getByLabel("Group by").selectOption("backend");
    await page.getByRole("img", { name: /^Images by backend/ }).waitFor();
    const backends = await legend(page);
    expect(backends).toHaveLength(2);
    expect(backends.some((entry) => entry.startsWith("Replay cache"))).toBe(true);
    expect(new URL(page.url()).hash).toContain("group_by=backend");

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download CSV" }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^sdgate-usage-by-backend-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv$/,
    );
    const csv = (await readFile((await download.path()) ?? "", "utf8")).trimEnd().split("\r\n");
    expect(csv[0]).toBe(
      "period,group_by,group,name,requests,succeeded,failed,cache_hits,images,credits,saved_credits,gpu_seconds,saved_gpu_seconds,mean_latency_ms",
    );
    expect(csv.slice(1).map((line) => line.split(",").slice(1, 10))).toEqual(
      expect.arrayContaining([
        ["backend", "", "Replay cache", "1", "1", "0", "1", "1", "0"],
        [
          "backend",
          expect.any(String),
          expect.any(String),
          "1",
          "1",
          "0",
          "0",
          "1",
          String(report.totals.credits),
        ],
      ]),
    );
    expect(csv).toHaveLength(3);

    await studio.expectAccessible(page);
    await studio.shoot(page, "usage-1280");
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await studio.fitsWidth(page)).toBe(true);
    await studio.shoot(page, "usage-390");

    // Billing: the team's money, and nothing of who asked for what.
    // Usage is the first page billing opens (the other is Admin's budgets), so it is their home.
    const billing = await studio.signInAs(BILLING_ACCOUNT.login);
    await billing.getByRole("navigation", { name: "Studio" }).getByRole("link").first().waitFor();
    expect(
      await billing.getByRole("navigation", { name: "Studio" }).getByRole("link").allTextContents(),
    ).toEqual(["Usage", "Admin"]);
    await billing.getByText("Money view: credits and budget only").waitFor();
    await billing.locator(".usage-tiles").waitFor();
    expect(await tile(billing, "Credits")).toBe(String(report.totals.credits));
    expect(await tile(billing, "Cache savings")).toBe(credits(report.totals.saved_credits));
    // the budget is its own request, which may answer after the report's tiles show
    await expect.poll(() => tile(billing, "Budget used"), { timeout: 15_000 }).toMatch(/^\d+%$/);
    expect(await billing.getByRole("term").allTextContents()).not.toContain("GPU-seconds");
    const groupings = await billing.getByLabel("Group by").locator("option").allTextContents();
    expect(groupings).toEqual(["Team", "Key", "Model"]);
    expect(await billing.getByRole("link", { name: /Runs of|history/ }).count()).toBe(0);
    expect(await billing.locator('a[href^="#/history"]').count()).toBe(0);
    expect(await billing.content()).not.toContain(PROMPT);
    // The edge refuses what the page does not offer.
    const refused = await billing.evaluate(async () => (await fetch("/admin/usage?group_by=person")).status);
    expect(refused).toBe(403);
    await studio.expectAccessible(billing);
    await studio.shoot(billing, "usage-billing-1280");
  }, 120_000);
}
