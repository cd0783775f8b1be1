import { beforeAll, describe, expect, it } from "vitest";
import app from "../index.ts";
import { fleetEnv, post, seedRoomyKey } from "../test-support/fleet.ts";
import {
  callsTo,
  type Envelope,
  edgeEnv,
  generate,
  seedApiKey,
  uniquePrompt,
} from "../test-support/harness.ts";
import { seededRecord, seedLegacy, seedStored, whereOf } from "../test-support/replay-cache.ts";
import { MAX_BODY_BYTES } from "./generations.ts";

let key: string;
beforeAll(async () => {
  key = await seedApiKey(["generate"]);
});

async function expectError(res: Response, status: number, code: string, param: string | null = null) {
  expect(res.status).toBe(status);
  const body = (await res.json()) as Envelope;
  expect(body.error.code).toBe(code);
  expect(body.error.param).toBe(param);
  expect(body.request_id).toBe(res.headers.get("X-Request-Id"));
  return body;
}

describe("POST /v1/images/generations: bad requests", () => {
  it("answers 400 for malformed JSON", async () => {
    await expectError(await generate("{ not json", { key }), 400, "invalid_request");
  });

  it("answers 400 for a body that is not an object", async () => {
    await expectError(await generate([1, 2], { key }), 400, "invalid_request");
  });

  it("names the bad field", async () => {
    const body = await expectError(
      await generate({ prompt: "x", width: 100 }, { key }),
      400,
      "invalid_request",
      "width",
    );
    expect(body.error.message).toContain("width");
    await expectError(await generate({ prompt: "x", n: 0 }, { key }), 400, "invalid_request", "n");
    await expectError(await generate({ prompt: "" }, { key }), 400, "invalid_request", "prompt");
    await expectError(
      await generate({ prompt: "x", size: "2048x2048" }, { key }),
      400,
      "invalid_request",
      "size",
    );
  });

  it("refuses a prompt or negative prompt nested 1,000 deep, naming it, before any backend sees it", async () => {
    const deep = `${uniquePrompt()} ${"(".repeat(1000)}`;
    const body = await expectError(
      await generate({ prompt: deep }, { key }),
      400,
      "invalid_request",
      "prompt",
    );
    expect(body.error.message).toContain("1000 deep");
    const prompt = uniquePrompt();
    await expectError(
      await generate({ prompt, negative_prompt: "[".repeat(1000) }, { key }),
      400,
      "invalid_request",
      "negative_prompt",
    );
    expect(await callsTo("healthy", deep)).toHaveLength(0);
    expect(await callsTo("healthy", prompt)).toHaveLength(0);
  });

  it("names an unknown field", async () => {
    const body = await expectError(
      await generate({ prompt: "x", stesp: 3 }, { key }),
      400,
      "invalid_request",
      "stesp",
    );
    expect(body.error.message).toContain("stesp");
  });

  it("answers 404 model_not_found for an unknown model", async () => {
    await expectError(
      await generate({ prompt: "x", model: "dall-e-3" }, { key }),
      404,
      "model_not_found",
      "model",
    );
  });

  it("answers 415 for a body that is not JSON", async () => {
    const res = await generate("prompt=x", {
      key,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    await expectError(res, 415, "unsupported_media_type");
  });

  it("answers 413 for a body over the limit", async () => {
    const res = await generate({ prompt: "x", negative_prompt: "y".repeat(MAX_BODY_BYTES) }, { key });
    await expectError(res, 413, "payload_too_large");
  });

  it("answers 413 for a streamed body over the limit", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES) controller.close();
        else {
          controller.enqueue(chunk);
          sent += chunk.length;
        }
      },
    });
    const res = await app.request(
      "/v1/images/generations",
      {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: stream,
      },
      edgeEnv(),
    );
    await expectError(res, 413, "payload_too_large");
  });

  it("passes a backend's 400 through without trying another backend", async () => {
    const prompt = uniquePrompt();
    const res = await generate({ prompt }, { key, env: edgeEnv(["badRequest", "healthy"]) });
    const body = await expectError(res, 400, "invalid_request", "prompt");
    expect(body.error.message).toBe("Prompt refused.");
    expect(res.headers.get("X-Attempts")).toBe("1");
    expect(res.headers.get("X-Backend")).toBe("fake-badRequest");
    expect(await callsTo("badRequest", prompt)).toHaveLength(1);
    expect(await callsTo("healthy", prompt)).toHaveLength(0);
  });
});

describe("routing errors", () => {
  it("answers an unknown route with a JSON 404", async () => {
    const res = await app.request("/v1/nothing-here", {}, edgeEnv());
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    await expectError(res, 404, "not_found");
  });

  it("answers a wrong method with 405 and Allow", async () => {
    const res = await app.request("/v1/images/generations", { method: "GET" }, edgeEnv());
    expect(res.headers.get("Allow")).toBe("POST");
    await expectError(res, 405, "method_not_allowed");
  });
});

describe("POST /v1/images/generations: a replay cache index out of step with R2", () => {
  it("generates an entry the coalescer's index never heard of (stored before it) once again, then replays it", async () => {
    const roomy = await seedRoomyKey();
    const env = fleetEnv(["healthy"]);
    const body = { prompt: uniquePrompt(), seed: 41 };
    await seedLegacy(await whereOf(body, roomy.id, env), seededRecord(41));
    const first = await post(body, roomy.key, env);
    expect(first.status).toBe(200);
    expect(first.headers.get("X-Cache")).toBe("MISS");
    expect(first.headers.get("X-Backend")).toBe("fake-healthy");
    const regenerated = await first.text();
    const again = await post(body, roomy.key, env);
    expect(again.headers.get("X-Cache")).toBe("HIT");
    expect(await again.text()).toBe(regenerated);
    expect(await callsTo("healthy", body.prompt)).toHaveLength(1);
  });

  it("runs the job when the index says stored but R2 has nothing, and replays it afterwards", async () => {
    const roomy = await seedRoomyKey();
    const env = fleetEnv(["healthy"]);
    const body = { prompt: uniquePrompt(), seed: 42 };
    const where = await whereOf(body, roomy.id, env);
    await seedStored(where, seededRecord(42), true);
    await env.IMAGES.delete(`img/${where.tenantTag}/${where.cacheKey}/0`);
    const first = await post(body, roomy.key, env);
    expect(first.status).toBe(200);
    expect(first.headers.get("X-Cache")).toBe("MISS");
    const again = await post(body, roomy.key, env);
    expect(again.headers.get("X-Cache")).toBe("HIT");
    expect(await again.text()).toBe(await first.text());
    expect(await callsTo("healthy", body.prompt)).toHaveLength(1);
  });
});
