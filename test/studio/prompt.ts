import { expect, it } from "vitest";
import { ensureStudioKey, type StudioHarness } from "./harness.ts";

const PROMPT = "masterpiece, ((red fox:1.2)) in [snow] BREAK golden hour, <lora:film-look:0.8>, \\(35mm\\)";

/**
 * The playground's prompt editors: A1111 syntax highlighted as it is typed, the model's token count
 * per 75-token chunk as the API counts it, a lone bracket named, chunks past the model's limit
 * flagged; the playground still runs with them.
 */
export function promptScenarios(studio: StudioHarness): void {
  it("highlights A1111 syntax, counts tokens per chunk as the API does, flags a lone bracket, and still runs", async () => {
    const page = await studio.signInLocalAdmin({ hash: "#/playground" });
    await ensureStudioKey(page);
    const prompt = page.getByLabel("Prompt", { exact: true });
    await prompt.fill(PROMPT);

    // The count the page shows is the one the API gives for the tiny model, chunk by chunk.
    const counted = await studio.client().prompts.tokenize({ model: "tiny", prompt: PROMPT });
    expect(counted.chunks).toHaveLength(2);
    const expected = counted.chunks.map((chunk, i) => `chunk ${i + 1}: ${chunk.tokens}/75`).join(" · ");
    const editor = page.locator(".prompt-editor").first();
    await editor.getByText(expected, { exact: true }).waitFor();
    expect(await prompt.getAttribute("aria-describedby")).toContain(
      await editor.locator(".prompt-editor-count").getAttribute("id"),
    );

    // The highlighted copy under the textarea: weights, brackets by depth, BREAK, the LoRA, escapes.
    const overlay = editor.locator(".prompt-editor-overlay");
    const texts = (selector: string) => overlay.locator(selector).allTextContents();
    expect(await texts(".syntax-weight")).toEqual([":1.2"]);
    expect(await texts(".syntax-paren.depth-0")).toEqual(["(", ")"]);
    expect(await texts(".syntax-paren.depth-1")).toEqual(["(", ")"]);
    expect(await texts(".syntax-square")).toEqual(["[", "]"]);
    expect(await texts(".syntax-break")).toEqual(["BREAK"]);
    expect(await texts(".syntax-network")).toEqual(["<lora:film-look:0.8>"]);
    expect(await texts(".syntax-escape")).toEqual(["\\(", "\\)"]);
    // the second chunk is marked where the API says its text begins: after BREAK
    expect(counted.chunks[1]?.start).toBe(PROMPT.indexOf("golden"));
    expect((await texts(".chunk-start"))[0]).toMatch(/^golden/);
    expect(await overlay.textContent()).toBe(`${PROMPT}\n `);
    // the copy lies exactly under the textarea, so the colours fall on the right letters
    expect(await overlay.boundingBox()).toEqual(await prompt.boundingBox());

    // A lone bracket in the negative prompt is named, and the field marked invalid.
    const negative = page.getByLabel("Negative prompt");
    await negative.fill("blurry, (low quality");
    await page.getByText('Unbalanced: "(" at character 9 is never closed.').waitFor();
    expect(await negative.getAttribute("aria-invalid")).toBe("true");
    expect(await page.locator(".prompt-editor").nth(1).locator(".unbalanced").allTextContents()).toEqual([
      "(",
    ]);

    // A prompt past the model's 8 chunks: the chunks beyond are flagged.
    await prompt.fill("a ".repeat(700));
    await editor.getByText(/chunk 9: \d+\/75 \(past the limit\)/).waitFor();
    await editor.getByText(/tokens past the model's limit of 8 chunks/).waitFor();
    expect(await prompt.getAttribute("aria-invalid")).toBe("true");

    // The playground runs with the editors' text: a LoRA tag naming nothing registered is refused by
    // the API, by name, and the prompt without it runs.
    await prompt.fill(PROMPT);
    await editor.getByText(expected, { exact: true }).waitFor();
    await page.getByLabel("Size").selectOption("64x64");
    await page.getByLabel("Steps").fill("2");
    await page.getByRole("button", { name: "Run" }).click();
    // the run's refusal (the estimate beside it may say the same once it has been priced)
    await page
      .getByRole("alert")
      .getByText(/no LoRA named 'film-look' is registered and approved/)
      .waitFor();
    await prompt.fill(PROMPT.replace(", <lora:film-look:0.8>", ""));
    await page.getByRole("button", { name: "Run" }).click();
    await page.getByRole("img", { name: /^Result 1, seed \d+$/ }).waitFor({ timeout: 30_000 });
    await studio.expectAccessible(page);
    await studio.shoot(page, "prompt-1280");

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await studio.fitsWidth(page)).toBe(true);
    expect(await overlay.boundingBox()).toEqual(await prompt.boundingBox());
    await studio.shoot(page, "prompt-390");
  }, 90_000);
}
