import { BACKEND_TOKENIZE_PATH, type ErrorEnvelope, type PromptTokens } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { ClipTokenizer } from "../engine/tokenizer/clip-tokenizer.ts";
import { PromptCounter } from "../generation/prompt-counter.ts";
import { mergesTxt, trainClipBpe, vocabJson } from "../model-builder/bpe-trainer.ts";
import { PROMPT_CORPUS } from "../model-builder/corpus.ts";
import { keyring, setupApp, signed } from "./test-app.ts";

// The tiny model's kind of tokenizer; "light" and "the" are one token each in it.
const { vocab, merges } = trainClipBpe(PROMPT_CORPUS, 600);
const tokenizer = ClipTokenizer.fromFiles(vocabJson(vocab), mergesTxt(merges));
const counter = (maxChunks = 8) =>
  new PromptCounter(
    new Map([
      ["tiny", { tokenizer, maxChunks, embedsGuidance: false }],
      // an LCM model: its UNet takes the guidance scale, so it never runs guidance
      ["tiny-lcm", { tokenizer, maxChunks, embedsGuidance: true }],
    ]),
  );
const post = (body: unknown, signer = keyring) =>
  signed(BACKEND_TOKENIZE_PATH, typeof body === "string" ? body : JSON.stringify(body), {}, signer);

describe("POST /internal/v1/tokenize: happy path", () => {
  it("answers the chunks of a prompt with weights and BREAK, and the text each holds", async () => {
    const { app } = setupApp({ prompts: counter() });
    const prompt = "(the light:1.2) BREAK the [light]";
    const response = await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "tiny", prompt }));
    expect(response.status).toBe(200);
    const body = (await response.json()) as PromptTokens;
    expect(body).toMatchObject({ object: "prompt.tokens", model: "tiny", chunk_tokens: 75, max_chunks: 8 });
    expect(body.total_tokens).toBe(4);
    expect(body.chunks.map((c) => [c.tokens, prompt.slice(c.start, c.end)])).toEqual([
      [2, "the light"],
      [2, "the [light"],
    ]);
  });

  it("counts no tokens for <lora:…> tags, which are not encoded, and points into the prompt as written", async () => {
    const { app } = setupApp({ prompts: counter() });
    const prompt = "<lora:ink:0.7>the light <lora:fur> BREAK the<lora:ink:1>";
    const body = (await (
      await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "tiny", prompt }))
    ).json()) as PromptTokens;
    expect(body.total_tokens).toBe(3);
    expect(body.chunks.map((c) => [c.tokens, prompt.slice(c.start, c.end)])).toEqual([
      [2, "the light"],
      [1, "the"],
    ]);
  });

  it("counts the longest text prompt editing makes over the steps, pointing into the prompt as written", async () => {
    const { app } = setupApp({ prompts: counter() });
    const prompt = "the [light:the light the:2]";
    const body = (await (
      await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "tiny", prompt, steps: 4 }))
    ).json()) as PromptTokens;
    // "the light" for two steps, then "the the light the": A1111's counter reports the longer
    expect(body.total_tokens).toBe(4);
    expect(body.chunks.map((c) => [c.tokens, prompt.slice(c.start, c.end)])).toEqual([
      [4, "the [light:the light the"],
    ]);
  });

  it("reads alternation over the steps asked for: an option no step reaches is not counted", async () => {
    const { app } = setupApp({ prompts: counter() });
    const prompt = "[the|light light light]";
    const count = async (steps: number) =>
      (
        (await (
          await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "tiny", prompt, steps }))
        ).json()) as PromptTokens
      ).total_tokens;
    expect(await count(1)).toBe(1);
    expect(await count(2)).toBe(3);
  });

  it("counts each AND sub-prompt on its own and answers the longest; a negative prompt is not split", async () => {
    const { app } = setupApp({ prompts: counter() });
    const prompt = "the light AND the light light :0.5";
    const count = async (negative: boolean) =>
      (await (
        await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "tiny", prompt, negative }))
      ).json()) as PromptTokens;
    const positive = await count(false);
    expect(positive.total_tokens).toBe(3);
    expect(positive.chunks.map((c) => prompt.slice(c.start, c.end))).toEqual(["the light light"]);
    // read whole, AND and the weight are text
    expect((await count(true)).total_tokens).toBeGreaterThan(6);
  });

  it("splits at AND with guidance (7) and reads AND as text without it (1, or an LCM model), as the engine does", async () => {
    const { app } = setupApp({ prompts: counter() });
    const prompt = "the light AND the light light";
    const count = async (model: string, guidance_scale: number) =>
      (
        (await (
          await app.request(BACKEND_TOKENIZE_PATH, await post({ model, prompt, guidance_scale }))
        ).json()) as PromptTokens
      ).total_tokens;
    expect(await count("tiny", 7)).toBe(3);
    expect(await count("tiny", 1)).toBeGreaterThan(5);
    expect(await count("tiny-lcm", 7)).toBe(await count("tiny", 1));
    // absent: A1111's default guidance, which splits
    const defaulted = await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "tiny", prompt }));
    expect(((await defaulted.json()) as PromptTokens).total_tokens).toBe(3);
  });

  it("marks the chunks past the model's limit and counts their tokens", async () => {
    const { app } = setupApp({ prompts: counter(1) });
    const prompt = `${"light ".repeat(80)}BREAK the`;
    const body = (await (
      await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "tiny", prompt }))
    ).json()) as PromptTokens;
    expect(body.chunks.map((c) => [c.tokens, c.over_limit])).toEqual([
      [75, false],
      [5, true],
      [1, true],
    ]);
    expect(body.tokens_over_limit).toBe(6);
  });
});

describe("POST /internal/v1/tokenize: errors", () => {
  const errorOf = async (response: Response) => ((await response.json()) as ErrorEnvelope).error;

  it("names the field: an unknown model, a weight that is no number, a prompt too long", async () => {
    const { app } = setupApp({ prompts: counter() });
    const unknown = await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "sdxl", prompt: "a" }));
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: "model_not_found", param: "model" });
    const weight = await app.request(
      BACKEND_TOKENIZE_PATH,
      await post({ model: "tiny", prompt: "(a:1.2.3)" }),
    );
    expect(weight.status).toBe(400);
    expect(await errorOf(weight)).toMatchObject({ code: "invalid_request", param: "prompt" });
    const long = await app.request(
      BACKEND_TOKENIZE_PATH,
      await post({ model: "tiny", prompt: "a".repeat(4001) }),
    );
    expect(long.status).toBe(400);
    expect(await errorOf(long)).toMatchObject({ param: "prompt" });
    const broken = await app.request(BACKEND_TOKENIZE_PATH, await post("{"));
    expect(broken.status).toBe(400);
    const steps = await app.request(
      BACKEND_TOKENIZE_PATH,
      await post({ model: "tiny", prompt: "a", steps: 0 }),
    );
    expect(steps.status).toBe(400);
    expect(await errorOf(steps)).toMatchObject({ param: "steps" });
    const guidance = await app.request(
      BACKEND_TOKENIZE_PATH,
      await post({ model: "tiny", prompt: "a", guidance_scale: 31 }),
    );
    expect(guidance.status).toBe(400);
    expect(await errorOf(guidance)).toMatchObject({ param: "guidance_scale" });
  });

  it("refuses more AND sub-prompts than a generation takes, naming the prompt, unless guidance is off", async () => {
    const { app } = setupApp({ prompts: counter() });
    const prompt = Array.from({ length: 9 }, () => "light").join(" AND ");
    const guided = await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "tiny", prompt }));
    expect(guided.status).toBe(400);
    const refusal = await errorOf(guided);
    expect(refusal).toMatchObject({ code: "invalid_request", param: "prompt" });
    expect(refusal.message).toContain("at most 8 AND-joined sub-prompts");
    const unguided = await app.request(
      BACKEND_TOKENIZE_PATH,
      await post({ model: "tiny", prompt, guidance_scale: 1 }),
    );
    expect(unguided.status).toBe(200);
    const eight = prompt.slice(0, prompt.lastIndexOf(" AND "));
    const fits = await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "tiny", prompt: eight }));
    expect(fits.status).toBe(200);
  });

  it("is 503 while the models load, and 401 unsigned", async () => {
    const { app, readiness } = setupApp({ prompts: counter(), state: "loading" });
    const loading = await app.request(BACKEND_TOKENIZE_PATH, await post({ model: "tiny", prompt: "a" }));
    expect(loading.status).toBe(503);
    readiness.state = "ready";
    const unsigned = await app.request(BACKEND_TOKENIZE_PATH, {
      method: "POST",
      body: JSON.stringify({ model: "tiny", prompt: "a" }),
    });
    expect(unsigned.status).toBe(401);
  });
});
