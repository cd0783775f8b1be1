import { randomBytes } from "node:crypto";
import type { Page } from "playwright-core";
import sharp from "sharp";
import { expect, it } from "vitest";
import { ensureStudioKey, type StudioHarness } from "./harness.ts";

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

    // Every text the run shows, as it changes (queue, progress, done), and whether a preview showed.
    await watchRun(page);
    // Every control has a name a screen reader says, and Run is reached and pressed from the keyboard.
    const unnamed = await page.evaluate<
      string[]
    >(`[...document.querySelectorAll("input, select, textarea, button")]
      .filter((el) => el.labels?.length === 0 && !el.getAttribute("aria-label") && !el.textContent.trim())
      .map((el) => el.outerHTML)`);
    expect(unnamed).toEqual([]);
    await page.getByLabel("Output format").focus();
    expect(await tabTo(page, "Run")).toBe(true);
    await page.keyboard.press("Enter");
    const image = page.getByRole("img", { name: /^Result 1, seed \d+$/ });
    await image.waitFor({ timeout: 30_000 });
    const seen = await page.evaluate<string[]>("window.seen");
    expect(seen.at(-1)).toMatch(/: Done$/);
    expect(seen.some((text) => /Queued|Running/.test(text))).toBe(true);
    expect(await page.evaluate<boolean>("window.previewSeen")).toBe(true);
    expect(await page.getByRole("progressbar", { name: "Progress" }).getAttribute("value")).toBe("1");
    // What the job charged (the edge's own number), beside the estimate made before it ran.
    const charged = await page.getByText(/\d+ credits charged \(estimated \d+\)/).textContent();
    const [, spent, estimated] = /(\d+) credits charged \(estimated (\d+)\)/.exec(charged ?? "") ?? [];
    expect(Number(spent)).toBeGreaterThan(0);
    expect(spent).toBe(estimated);
    // Copy as code: each language's snippet of this very run, seed included.
    const ranSeed = /seed (\d+)/.exec((await image.getAttribute("alt")) ?? "")?.[1] ?? "";
    expect(await page.getByLabel("curl code").inputValue()).toContain(`"seed": ${ranSeed},`);
    await page.getByRole("button", { name: "TypeScript (@sdgate/sdk)" }).click();
    expect(await page.getByLabel("TypeScript (@sdgate/sdk) code").inputValue()).toContain("images.generate");
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
    // The file names the registry version that made it; the key may still pin it, so the form does.
    expect(await page.locator("select[name=model]").inputValue()).toBe("tiny@v1");

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await studio.fitsWidth(page)).toBe(true);
    await studio.shoot(page, "playground-390");
  }, 90_000);

  it("runs img2img with a painted mask, and cancels a long run with its credits refunded", async () => {
    const page = await studio.signInLocalAdmin();
    await ensureStudioKey(page);
    await page.getByLabel("Prompt", { exact: true }).fill("a lighthouse, repainted");
    await page.getByLabel("Size").selectOption("64x64");
    await page.getByLabel("Steps").fill("4");
    // Image to image: a 64×64 picture dropped in, a stroke of the brush across it.
    await page.getByText("Image to image").click();
    await page.getByLabel(/Input image/).setInputFiles({
      name: "start.png",
      mimeType: "image/png",
      buffer: await sharp({ create: { width: 64, height: 64, channels: 3, background: "#3366cc" } })
        .png()
        .toBuffer(),
    });
    await page.getByRole("button", { name: "Paint a mask (inpainting)" }).click();
    const mask = page.getByRole("img", { name: /^Mask/ });
    const box = await mask.boundingBox();
    if (box === null) throw new Error("the mask canvas is not on screen");
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.8, box.y + box.height / 2, { steps: 8 });
    await page.mouse.up();
    await page.getByText("Image to image · inpainting").waitFor();
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/images/generations"));
    await page.getByRole("button", { name: "Run", exact: true }).click();
    const body = JSON.parse((await sent).postData() ?? "{}") as Record<string, string>;
    expect(body.image).toMatch(/^data:image\/png;base64,/);
    expect(body.mask).toMatch(/^data:image\/png;base64,/);
    // The mask is white where the brush went and black elsewhere, at the image's own size.
    const painted = await sharp(Buffer.from(body.mask?.split(",")[1] ?? "", "base64"))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(painted.info).toMatchObject({ width: 64, height: 64 });
    expect(painted.data[32 * 64 + 32]).toBe(255);
    expect(painted.data[2 * 64 + 2]).toBe(0);
    await page.getByRole("img", { name: /^Result 1, seed \d+$/ }).waitFor({ timeout: 30_000 });
    await studio.shoot(page, "playground-inpaint-1280");

    // A long run, cancelled: the job says it charged nothing and gave the reservation back.
    await page.getByRole("button", { name: "Remove the image" }).click();
    await page.getByLabel("Size").selectOption("256x256");
    await page.getByLabel("Steps").fill("150");
    await watchRun(page);
    await page.getByRole("button", { name: "Run", exact: true }).click();
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.getByText(/: Cancelled · \d+ credits refunded$/).waitFor({ timeout: 30_000 });
    const refunded = /(\d+) credits refunded/.exec((await page.locator(".job p").textContent()) ?? "")?.[1];
    expect(Number(refunded)).toBeGreaterThan(0);
  }, 90_000);
  it("picks a LoRA with its weight and a ControlNet unit from what the key may name, and sends them", async () => {
    const admin = studio.admin();
    const suffix = randomBytes(4).toString("hex");
    const [lora, controlnet] = [`studio-ink-${suffix}`, `studio-canny-${suffix}`];
    for (const [kind, name] of [
      ["lora", lora],
      ["controlnet", controlnet],
    ] as const)
      await admin.adapters.register({
        kind,
        name,
        digest: randomBytes(32).toString("hex"),
        applies_to: ["tiny"],
      });
    const page = await studio.signInLocalAdmin();
    await ensureStudioKey(page);
    // Registered with the admin token, approved by the signed-in admin: two people, as approval needs.
    for (const path of [`lora/${lora}`, `controlnet/${controlnet}`])
      expect(
        await page.evaluate<number>(
          `fetch("/admin/adapters/${path}/approve", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }).then((r) => r.status)`,
        ),
      ).toBe(200);
    await page.reload();
    await page.getByLabel("Prompt", { exact: true }).fill("a lighthouse in ink");
    await page.getByLabel("Size").selectOption("64x64");
    await page.getByText("LoRAs and ControlNet").click();
    await page.getByLabel("Add a LoRA").selectOption(lora);
    await page.getByLabel(`LoRA ${lora} weight`).fill("0.6");
    await page.getByRole("button", { name: "Add a ControlNet unit" }).click();
    await page.getByLabel("ControlNet model").selectOption(controlnet);
    await page.getByLabel(/Control image 1/).setInputFiles({
      name: "edges.png",
      mimeType: "image/png",
      buffer: await sharp({ create: { width: 64, height: 64, channels: 3, background: "#000000" } })
        .png()
        .toBuffer(),
    });
    await page.getByRole("img", { name: "What unit 1 controls the composition with" }).waitFor();
    // The estimate resolves them as a run would: priced, not refused.
    await page
      .getByRole("status", { name: "Estimate" })
      .getByText(/GPU-seconds .* credits/)
      .waitFor();
    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/images/generations"));
    await page.getByRole("button", { name: "Run", exact: true }).click();
    const body = JSON.parse((await sent).postData() ?? "{}") as Record<string, unknown>;
    expect(body.lora).toEqual([{ name: lora, weight: 0.6 }]);
    expect(body.controlnet).toEqual([
      expect.objectContaining({
        model: controlnet,
        image: expect.stringMatching(/^data:image\/png;base64,/),
      }),
    ]);
    expect(new URL(page.url()).searchParams.getAll("lora")).toEqual([`${lora}:0.6`]);
  }, 90_000);
}

/** Records every text the run's status line shows, in `window.seen`, and whether a preview showed. */
async function watchRun(page: Page): Promise<void> {
  await page.evaluate(`
    window.seen = [];
    window.previewSeen = false;
    new MutationObserver(() => {
      const text = document.querySelector(".job p")?.textContent;
      if (text && window.seen.at(-1) !== text) window.seen.push(text);
      if (document.querySelector(".job img.preview")) window.previewSeen = true;
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  `);
}

/** Presses Tab until the focused control says `name` (true), or 20 times (false). */
async function tabTo(page: Page, name: string): Promise<boolean> {
  for (let press = 0; press < 20; press += 1) {
    await page.keyboard.press("Tab");
    if ((await page.evaluate<string>("document.activeElement.textContent")) === name) return true;
  }
  return false;
}
