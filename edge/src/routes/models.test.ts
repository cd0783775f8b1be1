import { TINY_MODEL } from "@sdgate/shared";
import { beforeAll, describe, expect, it } from "vitest";
import app from "../index.ts";
import { type Envelope, edgeEnv, seedApiKey } from "../test-support/harness.ts";

let generateOnlyKey: string;
beforeAll(async () => {
  generateOnlyKey = await seedApiKey(["generate"]);
});

describe("GET /v1/models", () => {
  it("lists the models in OpenAI's shape for any valid key", async () => {
    const res = await app.request(
      "/v1/models",
      { headers: { Authorization: `Bearer ${generateOnlyKey}` } },
      edgeEnv(),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { object: string; data: Array<Record<string, unknown>> };
    expect(body.object).toBe("list");
    expect(body.data).toHaveLength(1);
    expect(body.data[0]).toMatchObject({
      id: "tiny",
      object: "model",
      owned_by: "sdgate",
      limits: TINY_MODEL.limits,
    });
    expect(Number.isInteger(body.data[0]?.created)).toBe(true);
  });

  it("needs a key, as OpenAI's does", async () => {
    const res = await app.request("/v1/models", {}, edgeEnv());
    expect(res.status).toBe(401);
    expect(((await res.json()) as Envelope).error.code).toBe("missing_api_key");
  });
});
