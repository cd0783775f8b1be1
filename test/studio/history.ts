import { Sdgate } from "@sdgate/sdk";
import type { Run, RunList } from "@sdgate/shared";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { expect, it } from "vitest";
import { ensureStudioKey, type StudioHarness } from "./harness.ts";

const SMALL = { size: "64x64", steps: 2 } as const;

/** A client on the signed-in person's Studio key, as their page keeps it: their API calls join their history. */
async function studioKeyClient(studio: StudioHarness, page: Page): Promise<Sdgate> {
  const key = await page.evaluate<string>(
    `JSON.parse(localStorage.getItem(Object.keys(localStorage).find((name) => name.startsWith("sdgate.studio.key.")))).key`,
  );
  return new Sdgate({ baseUrl: studio.stack().url, apiKey: key, timeoutMs: 60_000 });
}

/** The row of the run whose prompt is `prompt`, in the virtualised list. */
const rowOf = (page: Page, prompt: string) => page.locator(".virtual-list li", { hasText: prompt });

/** `count` synthetic runs, newest first, as GET /v1/runs lists them. */
function syntheticRuns(count: number): Run[] {
  const startMs = Date.parse("2026-12-01T00:00:00Z");
  return Array.from({ length: count }, (_, i) => ({
    object: "run" as const,
    id: `req_synthetic_${String(i).padStart(5, "0")}`,
    key_id: "key_synthetic",
    key_name: "synthetic",
    person: null,
    person_name: null,
    team_id: null,
    created_at: new Date(startMs - i * 60_000).toISOString(),
    status: i % 10 === 9 ? ("failed" as const) : ("succeeded" as const),
    model: "tiny",
    model_version: null,
    prompt: `synthetic run ${i + 1} of ${count}`,
    negative_prompt: "",
    request: { prompt: `synthetic run ${i + 1}`, model: "tiny", seed: i },
    cost: 1,
    latency_ms: 100,
    backend: "synthetic",
    error_code: i % 10 === 9 ? "backend_unavailable" : null,
    images: [{ seed: i, url: null, thumb_url: null }],
    inputs: [],
    experiment: null,
    engine_version: null,
    timings_ms: null,
    notes: "",
    tags: [],
    rating: null,
  }));
}

/** The History and Experiments pages: every run of the team, filters, notes, actions, virtualisation. */
export function historyScenarios(studio: StudioHarness): void {
  it("lists the team's runs from the Studio and the API, filters them, keeps notes, and acts on a run", async () => {
    const page = await studio.signInLocalAdmin({ hash: "#/playground" });
    await ensureStudioKey(page);
    const api = await studioKeyClient(studio, page);
    const mark = crypto.randomUUID().slice(0, 8);
    const experiment = `history e2e ${mark}`;

    // A run from the Studio's playground…
    const fromStudio = `a studio lighthouse ${mark}`;
    await page.getByLabel("Prompt", { exact: true }).fill(fromStudio);
    await page.getByLabel("Size").selectOption("64x64");
    await page.getByLabel("Steps").fill("2");
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByRole("img", { name: /^Result 1, seed \d+$/ }).waitFor({ timeout: 30_000 });
    // …two from the API in an experiment (the first from an input image), and one cancelled.
    const fromApi = [`an api harbour ${mark}`, `an api harbour at dusk ${mark}`];
    const input = await sharp({ create: { width: 64, height: 64, channels: 3, background: "#c85028" } })
      .png()
      .toBuffer();
    const fromImage = { image: input.toString("base64"), strength: 0.6 };
    for (const [i, prompt] of fromApi.entries())
      await api.images.generate(
        { prompt, ...SMALL, seed: 100 + i, ...(i === 0 ? fromImage : {}) },
        { experiment },
      );
    const slow = `a cancelled slow one ${mark}`;
    const job = await api.images.generateAsync({ prompt: slow, size: "256x256", steps: 150 });
    await api.jobs.cancel(job.id);
    expect((await api.jobs.wait(job.id)).status).toBe("cancelled");

    await page.goto(`${studio.stack().url}/studio/#/history?q=${encodeURIComponent(mark)}`);
    for (const prompt of [fromStudio, ...fromApi, slow]) await rowOf(page, prompt).waitFor();
    expect(await rowOf(page, fromApi[0] ?? "").textContent()).toContain(experiment);
    expect(await rowOf(page, slow).textContent()).toContain("cancelled: cancelled");

    // Thumbnails, not images: each row's picture is its own small WebP.
    const thumb = rowOf(page, fromStudio).locator("img");
    const shownWidth = `[...document.querySelectorAll(".virtual-list li")]
      .find((row) => row.textContent.includes(${JSON.stringify(fromStudio)}))?.querySelector("img")?.naturalWidth ?? 0`;
    await expect.poll(() => page.evaluate<number>(shownWidth)).toBeGreaterThan(0);
    const source = (await thumb.getAttribute("src")) ?? "";
    expect(source).toMatch(/-thumb\.webp\?/);
    const bytes = await (await page.request.get(source)).body();
    const { format, width = 0, height = 0 } = await sharp(bytes).metadata();
    expect(format).toBe("webp");
    expect(Math.max(width, height)).toBeLessThanOrEqual(128);
    expect(bytes.length).toBeLessThan(4_000);

    // Filters live in the URL: status, experiment, person and key.
    await page.getByLabel("Status", { exact: true }).selectOption("cancelled");
    await expect.poll(() => page.evaluate<string>("location.hash")).toContain("status=cancelled");
    await expect.poll(() => page.locator(".virtual-list li").count()).toBe(1);
    await rowOf(page, slow).waitFor();
    await page.getByLabel("Status", { exact: true }).selectOption("");
    await page.getByLabel("Experiment", { exact: true }).selectOption(experiment);
    await expect.poll(() => page.locator(".virtual-list li").count()).toBe(2);
    await page.getByLabel("Experiment", { exact: true }).selectOption("");
    await page.getByLabel("Person", { exact: true }).selectOption({ label: "Me" });
    await page.getByLabel("Key", { exact: true }).selectOption({ label: "My Studio key" });
    await expect.poll(() => page.evaluate<string>("location.hash")).toMatch(/person=usr_/);
    expect(await page.evaluate<string>("location.hash")).toMatch(/key=/);
    await expect.poll(() => page.locator(".virtual-list li").count()).toBe(4);
    await studio.expectAccessible(page);

    // A run's detail: notes, tags and a rating from the keyboard, kept by the server.
    await rowOf(page, fromApi[1] ?? "")
      .getByRole("link")
      .click();
    const detail = page.getByRole("region", { name: "Run", exact: true });
    await detail.locator("dd", { hasText: experiment }).waitFor();
    await detail.getByLabel("Notes").fill("the best light");
    await detail.getByLabel("Tags (comma-separated)").fill("keeper, dusk");
    await detail.getByRole("radio", { name: "3 stars" }).check();
    await page.keyboard.press("ArrowRight");
    expect(await detail.getByRole("radio", { name: "4 stars" }).isChecked()).toBe(true);
    await detail.getByRole("button", { name: "Save notes" }).click();
    await detail.getByRole("status").getByText("Saved.").waitFor();
    const [kept] = (await api.runs.list({ q: fromApi[1] ?? "" })).data;
    expect(kept).toMatchObject({ notes: "the best light", tags: ["keeper", "dusk"], rating: 4 });
    await studio.expectAccessible(page);
    await studio.shoot(page, "history-1280");

    // Reproduce: its exact request again, past the cache, gives the same bytes.
    await detail.getByRole("button", { name: "Reproduce" }).click();
    await detail
      .getByRole("status", { name: "Reproduce" })
      .getByText(/the image's bytes are identical/)
      .waitFor({ timeout: 30_000 });

    // Compare takes the ticked runs.
    await rowOf(page, fromApi[0] ?? "")
      .getByRole("checkbox")
      .check();
    await rowOf(page, fromApi[1] ?? "")
      .getByRole("checkbox")
      .check();
    const compare = await page.getByRole("link", { name: "Compare 2 runs" }).getAttribute("href");
    expect(compare?.startsWith("#/compare?")).toBe(true);
    const ticked = new URLSearchParams(compare?.split("?")[1]).get("runs")?.split(",");
    expect(ticked).toHaveLength(2);
    expect(ticked).toContain(kept?.id);

    // Use all: the playground with the run's whole request, its seed kept; Remix: a new seed.
    await detail.getByRole("link", { name: "Use all" }).click();
    await page.getByLabel("Prompt", { exact: true }).waitFor();
    expect(await page.getByLabel("Prompt", { exact: true }).inputValue()).toBe(fromApi[1]);
    expect(await page.getByLabel("Seed", { exact: true }).inputValue()).toBe("101");
    expect(await page.getByLabel("Steps").inputValue()).toBe("2");
    await page.goBack();
    await detail.getByRole("link", { name: "Remix" }).click();
    await page.getByLabel("Prompt", { exact: true }).waitFor();
    expect(await page.getByLabel("Prompt", { exact: true }).inputValue()).toBe(fromApi[1]);
    expect(await page.getByLabel("Seed", { exact: true }).inputValue()).not.toBe("101");

    // Use seed: only the seed goes into the playground's current form (here the remix).
    await page.evaluate(`location.hash = ${JSON.stringify(`#/history?q=${encodeURIComponent(mark)}`)}`);
    await rowOf(page, fromApi[0] ?? "")
      .getByRole("link")
      .click();
    // Reproduce an image-to-image run: its input's own bytes, kept with it, give the same image again.
    await detail.getByRole("heading", { name: fromApi[0] ?? "", exact: true }).waitFor();
    await detail.getByRole("button", { name: "Reproduce" }).click();
    await detail
      .getByRole("status", { name: "Reproduce" })
      .getByText(/the image's bytes are identical/)
      .waitFor({ timeout: 30_000 });
    await detail.getByRole("link", { name: "Use seed" }).click();
    await page.getByLabel("Prompt", { exact: true }).waitFor();
    expect(await page.getByLabel("Seed", { exact: true }).inputValue()).toBe("100");
    expect(await page.getByLabel("Prompt", { exact: true }).inputValue()).toBe(fromApi[1]);

    await page.goto(`${studio.stack().url}/studio/#/history?q=${encodeURIComponent(mark)}`);
    await rowOf(page, slow).waitFor();
    await page.setViewportSize({ width: 390, height: 844 });
    expect(await studio.fitsWidth(page)).toBe(true);
    await studio.shoot(page, "history-390");

    // The experiment, with its run count, and its runs.
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${studio.stack().url}/studio/#/experiments`);
    const listed = page.getByRole("row", { name: new RegExp(experiment) });
    await listed.waitFor();
    expect(await listed.getByRole("cell").first().textContent()).toBe("2");
    await studio.expectAccessible(page);
    await studio.shoot(page, "experiments-1280");
    await listed.getByRole("link", { name: experiment }).click();
    for (const prompt of fromApi) await rowOf(page, prompt).waitFor();
    expect(await page.locator(".virtual-list li").count()).toBe(2);
    await studio.expectAccessible(page);
  }, 120_000);

  it("keeps 10,000 runs scrollable with a bounded number of rows in the page", async () => {
    const page = await studio.signInLocalAdmin({ hash: "#/playground" });
    await ensureStudioKey(page);
    const runs = syntheticRuns(10_000);
    let pagesServed = 0;
    await page.route(
      (url) => url.pathname === "/v1/runs",
      async (route) => {
        const query = new URL(route.request().url()).searchParams;
        const limit = Number(query.get("limit") ?? 50);
        const before = query.get("before");
        const from =
          before === null ? 0 : runs.findIndex((run) => `${run.created_at}|${run.id}` === before) + 1;
        const data = runs.slice(from, from + limit);
        const last = data.at(-1);
        const list: RunList = {
          object: "list",
          data,
          next_before: from + limit < runs.length && last ? `${last.created_at}|${last.id}` : null,
        };
        pagesServed += 1;
        await route.fulfill({ json: list });
      },
    );
    await page.goto(`${studio.stack().url}/studio/#/history`);
    const list = page.getByRole("region", { name: "Runs" });
    await rowOf(page, "synthetic run 1 of 10000").waitFor();
    // The list scrolls from the keyboard too: it takes focus.
    expect(await list.getAttribute("tabindex")).toBe("0");

    // Scroll to the end of what is loaded, again and again: each time the next page comes, until the last.
    const heightPx = () => page.evaluate<number>(`document.querySelector(".virtual-list ul").offsetHeight`);
    const rows = () => page.locator(".virtual-list li").count();
    let mostRows = await rows();
    for (let loaded = 1; loaded <= 100; loaded += 1) {
      const before = await heightPx();
      await page.evaluate(
        `(() => { const list = document.querySelector(".virtual-list"); list.scrollTop = list.scrollHeight; })()`,
      );
      if (loaded < 100)
        await page.waitForFunction(
          `document.querySelector(".virtual-list ul").offsetHeight > ${before}`,
          undefined,
          {
            timeout: 10_000,
          },
        );
      mostRows = Math.max(mostRows, await rows());
    }
    await rowOf(page, "synthetic run 10000 of 10000").waitFor();
    expect(mostRows).toBeGreaterThan(5);
    expect(mostRows).toBeLessThanOrEqual(40);
    expect(pagesServed).toBe(100);
    await page.getByRole("status", { name: "Runs shown" }).getByText("10000 runs").waitFor();
    expect(await rowOf(page, "synthetic run 10000 of 10000").textContent()).toContain(
      "failed: backend_unavailable",
    );
  }, 120_000);
}
