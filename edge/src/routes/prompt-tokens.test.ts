import { BACKEND_TOKENIZE_PATH, type ErrorEnvelope, promptTokensSchema, TINY_MODEL } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import app from "../index.ts";
import { createKey } from "../keys/testing.ts";
import { fakePromptTokens } from "../test-support/fake-backends.ts";
import { callsTo, edgeEnv, seedApiKey, uniquePrompt } from "../test-support/harness.ts";

type Pools = Parameters<typeof edgeEnv>[0];

async function tokenize(body: unknown, options: { key?: string | null; pools?: Pools } = {}) {
  const key = options.key === undefined ? await seedApiKey(["read"]) : options.key;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  return app.request(
    "/v1/prompts/tokenize",
    { method: "POST", headers, body: typeof body === "string" ? body : JSON.stringify(body) },
    edgeEnv(options.pools ?? ["healthy", "healthyB"]),
  );
}

const errorOf = async (response: Response) => ((await response.json()) as ErrorEnvelope).error;

describe("POST /v1/prompts/tokenize: happy path", () => {
  it("passes on the chunks a backend counted, asked by a signed call, with the key's rate limit", async () => {
    const prompt = `${uniquePrompt("(a red:1.2) fox")} BREAK [snow]`;
    const response = await tokenize({ model: "tiny", prompt });
    expect(response.status).toBe(200);
    expect(response.headers.get("ratelimit")).not.toBeNull();
    const body = promptTokensSchema.parse(await response.json());
    expect(body).toEqual(fakePromptTokens("tiny", prompt));
    const calls = await callsTo("healthy", prompt);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      path: BACKEND_TOKENIZE_PATH,
      signature: "ok",
      audience: "fake-healthy",
      // the model's own steps and guidance, which decide how the engine reads editing and AND
      body: {
        model: "tiny",
        prompt,
        steps: TINY_MODEL.defaults.steps,
        guidance_scale: TINY_MODEL.defaults.guidance_scale,
        negative: false,
      },
    });
  });

  it("passes on the steps that prompt editing is read over, the guidance AND is read with, and whether the text is a negative prompt", async () => {
    const prompt = uniquePrompt("[a fox:a hound:0.5] AND snow");
    const body = { model: "tiny", prompt, steps: 7, guidance_scale: 1, negative: true };
    expect((await tokenize(body)).status).toBe(200);
    expect((await callsTo("healthy", prompt))[0]).toMatchObject({ body });
  });

  it("asks the next backend when the first fails or is down", async () => {
    const prompt = uniquePrompt("a castle");
    const response = await tokenize({ model: "tiny", prompt }, { pools: ["down", "flaky", "healthyB"] });
    expect(response.status).toBe(200);
    expect(await callsTo("flaky", prompt)).toHaveLength(1);
    expect(await callsTo("healthyB", prompt)).toHaveLength(1);
  });
});

describe("POST /v1/prompts/tokenize: errors", () => {
  it("names the field: no model, an unknown model, a prompt too long or nested too deep, bad steps or guidance", async () => {
    const missing = await tokenize({ prompt: "a fox" });
    expect(missing.status).toBe(400);
    expect(await errorOf(missing)).toMatchObject({ param: "model" });
    const unknown = await tokenize({ model: "no-such-model", prompt: "a fox" });
    expect(unknown.status).toBe(404);
    expect(await errorOf(unknown)).toMatchObject({ code: "model_not_found", param: "model" });
    const long = await tokenize({ model: "tiny", prompt: "a".repeat(4001) });
    expect(long.status).toBe(400);
    expect(await errorOf(long)).toMatchObject({ code: "invalid_request", param: "prompt" });
    const deep = await tokenize({ model: "tiny", prompt: "(".repeat(65) });
    expect(deep.status).toBe(400);
    expect(await errorOf(deep)).toMatchObject({ param: "prompt" });
    expect((await tokenize("{", {})).status).toBe(400);
    for (const [fields, param] of [
      [{ steps: 0 }, "steps"],
      [{ steps: 151 }, "steps"],
      [{ steps: 2.5 }, "steps"],
      [{ negative: "yes" }, "negative"],
      [{ guidance_scale: -1 }, "guidance_scale"],
      [{ guidance_scale: 31 }, "guidance_scale"],
      [{ guidance_scale: "7" }, "guidance_scale"],
    ] as const) {
      const refused = await tokenize({ model: "tiny", prompt: "a fox", ...fields });
      expect(refused.status).toBe(400);
      expect(await errorOf(refused)).toMatchObject({ code: "invalid_request", param });
    }
  });

  it("passes on a backend's refusal of the prompt, and says so when no backend answers", async () => {
    const refused = await tokenize(
      { model: "tiny", prompt: uniquePrompt() },
      { pools: ["badRequest", "healthy"] },
    );
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toMatchObject({ code: "invalid_request", param: "prompt" });
    const none = await tokenize(
      { model: "tiny", prompt: uniquePrompt() },
      { pools: ["down", "unavailable"] },
    );
    expect(none.status).toBe(503);
    expect(await errorOf(none)).toMatchObject({ code: "backend_unavailable" });
  });
});

describe("POST /v1/prompts/tokenize: limits", () => {
  it("takes a token of the key's request bucket: past its rate, a 429 that never reaches a backend", async () => {
    const { key } = await createKey({ limits: { requests_per_minute: 3, concurrency: 10, credits: null } });
    const prompt = uniquePrompt("a counted fox");
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await tokenize({ model: "tiny", prompt }, { key })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(await callsTo("healthy", prompt)).toHaveLength(3);
  });
});

describe("POST /v1/prompts/tokenize: security", () => {
  it("needs an API key", async () => {
    const response = await tokenize({ model: "tiny", prompt: "a fox" }, { key: null });
    expect(response.status).toBe(401);
  });
});
