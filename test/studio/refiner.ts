import { readPngText } from "@sdgate/shared";
import { expect, it } from "vitest";
import { ensureStudioKey, type StudioHarness } from "./harness.ts";

/** The SDXL base and refiner the stack serves for it (clients.test.ts builds them, tiny). */
export const SDXL_MODELS = { base: "tiny-xl", refiner: "tiny-xl-refiner" } as const;

/** The playground's SDXL fields: size conditioning and the refiner, run, and read back from the image. */
export function refinerScenarios(studio: StudioHarness): void {
  it("runs an SDXL base with an original size and a refiner, and reads the refiner back from the image", async () => {
    const page = await studio.signInLocalAdmin();
    await ensureStudioKey(page);
    // a select's name includes its chosen option's text, so the form's selects are found by their field
    const model = page.locator("select[name=model]");
    await model.waitFor();
    // a refiner is no base: the base picker does not offer it
    expect(await model.locator("option").allTextContents()).not.toContain(SDXL_MODELS.refiner);
    await model.selectOption(SDXL_MODELS.base);
    await page.getByLabel("Prompt", { exact: true }).fill("a red fox, refined");
    await page.getByLabel("Size").selectOption("64x64");
    await page.getByLabel("Steps").fill("4");

    await page.getByText("SDXL size conditioning").click();
    const original = page.getByRole("group", { name: "Original size" });
    await original.getByLabel("width").fill("1024");
    await original.getByLabel("height").fill("768");
    await page.getByText("SDXL refiner").click();
    await page.locator("select[name=refiner]").selectOption(SDXL_MODELS.refiner);
    await page.getByLabel("Switch at").fill("0.5");
    expect(await page.locator("input[name=aesthetic_score]").inputValue()).toBe("6");

    // what the API refuses with a refiner is said beside it, before Run
    await page.getByText("More options").click();
    const hires = page.getByLabel("Hires fix (a second, upscaled pass)");
    await hires.check();
    await page.getByText(/does not run with 'hires_scale'/).waitFor();
    await hires.uncheck();
    const estimate = page.getByRole("status", { name: "Estimate" });
    await estimate.getByText(/GPU-seconds .* credits/).waitFor();

    const sent = page.waitForRequest((request) => request.url().endsWith("/v1/images/generations"));
    await page.getByRole("button", { name: "Run", exact: true }).click();
    const body = JSON.parse((await sent).postData() ?? "{}") as Record<string, unknown>;
    expect(body).toMatchObject({
      model: SDXL_MODELS.base,
      original_size: { width: 1024, height: 768 },
      refiner: { model: SDXL_MODELS.refiner, switch_at: 0.5 },
    });
    const image = page.getByRole("img", { name: /^Result 1, seed \d+$/ });
    await image.waitFor({ timeout: 30_000 });
    const png = Buffer.from(((await image.getAttribute("src")) ?? "").split(",")[1] ?? "", "base64");
    const infotext = (await readPngText(png)).get("parameters");
    expect(infotext).toContain(`Refiner: ${SDXL_MODELS.refiner}`);
    expect(infotext).toContain("Original size: 1024x768");
    // the run's recipe, beside its image, names the refiner that finished it
    await page.getByText("Recipe", { exact: true }).click();
    const recipe = page.locator(".recipe div").filter({ has: page.getByRole("term").getByText("refiner") });
    expect(await recipe.getByRole("definition").textContent()).toContain(SDXL_MODELS.refiner);
    await studio.expectAccessible(page);
    await studio.shoot(page, "playground-refiner-1280");

    // The image's recipe names its refiner: dropped back in, it fills the refiner fields again.
    await page.locator("select[name=refiner]").selectOption("");
    await page
      .getByLabel(/PNG info/)
      .setInputFiles({ name: "refined.png", mimeType: "image/png", buffer: png });
    await page
      .getByRole("status", { name: "PNG info" })
      .getByText("Form filled from an sdgate image.")
      .waitFor();
    expect(await page.locator("select[name=refiner]").inputValue()).toBe(SDXL_MODELS.refiner);
    expect(await page.getByLabel("Switch at").inputValue()).toBe("0.5");
  }, 90_000);
}
