import { env } from "cloudflare:workers";
import {
  generationResponseSchema,
  parseKeyringSpec,
  resolvedGenerationRequestSchema,
  TINY_MODEL,
} from "@sdgate/shared";
import { exampleResolvedRequest } from "@sdgate/shared/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { callsTo, generate, seedApiKey, uniquePrompt } from "../test-support/harness.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let key: string;
beforeAll(async () => {
  key = await seedApiKey(["generate"]);
});

function decodeBase64(b64: string): Uint8Array {
  return Uint8Array.from(atob(b64), (char) => char.charCodeAt(0));
}

describe("POST /v1/images/generations: served", () => {
  it("answers 200 in OpenAI's shape, with the image, its seed and who served it", async () => {
    const prompt = uniquePrompt();
    const res = await generate({ prompt }, { key });
    expect(res.status).toBe(200);
    expect(res.headers.get("X-Backend")).toBe("fake-healthy");
    expect(res.headers.get("X-Attempts")).toBe("1");
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_/);
    const body = generationResponseSchema.parse(await res.json());
    expect(body).toMatchObject({
      model: "tiny",
      output_format: "png",
      size: "256x256",
      backend: "fake-healthy",
    });
    expect(Math.abs(body.created - Date.now() / 1000)).toBeLessThan(60);
    expect(body.data).toHaveLength(1);
    const [image] = body.data;
    expect([...decodeBase64(image?.b64_json ?? "").slice(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(image?.seed).toBeGreaterThanOrEqual(0);
    expect(image?.seed).toBeLessThanOrEqual(2 ** 32 - 1);
  });

  it("sends the backend a correctly signed, fully resolved request", async () => {
    const prompt = uniquePrompt();
    const res = await generate({ prompt, size: "128x64", steps: 4, seed: 7 }, { key });
    expect(res.status).toBe(200);
    const calls = await callsTo("healthy", prompt);
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call?.signature).toBe("ok");
    const keys = parseKeyringSpec(env.SDGATE_HMAC_KEYS);
    expect(call?.keyId).toBe(keys.ok ? keys.value[0]?.id : "?");
    expect(call?.path).toBe("/internal/v1/generate");
    expect(call?.requestId).toBe(res.headers.get("X-Request-Id"));
    // Every field resolved: the request's, then the model's defaults, then the API's.
    const expected = {
      ...exampleResolvedRequest({ prompt, width: 128, height: 64, steps: 4, seed: 7 }),
      guidance_scale: TINY_MODEL.defaults.guidance_scale,
      scheduler: TINY_MODEL.defaults.scheduler,
    };
    expect(resolvedGenerationRequestSchema.parse(call?.body)).toEqual(expected);
  });

  it("passes a given seed through unchanged", async () => {
    const seed = 2 ** 40 + 123;
    const res = await generate({ prompt: uniquePrompt(), seed }, { key });
    const body = generationResponseSchema.parse(await res.json());
    expect(body.data[0]?.seed).toBe(seed);
  });

  it("assigns a fresh seed when none is given, and returns it", async () => {
    const seeds = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const prompt = uniquePrompt();
      const body = generationResponseSchema.parse(await (await generate({ prompt }, { key })).json());
      const [call] = await callsTo("healthy", prompt);
      expect(call?.body).toMatchObject({ seed: body.data[0]?.seed });
      seeds.add(body.data[0]?.seed ?? -1);
    }
    expect(seeds.size).toBe(3);
  });

  it("returns every image of a batch with its own seed", async () => {
    const res = await generate({ prompt: uniquePrompt(), n: 2, seed: 100, output_format: "webp" }, { key });
    const body = generationResponseSchema.parse(await res.json());
    expect(body.data.map((image) => image.seed)).toEqual([100, 101]);
    expect(body.output_format).toBe("webp");
  });
});
