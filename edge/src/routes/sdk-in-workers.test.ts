import { Sdgate, SdgateApiError } from "@sdgate/sdk";
import { describe, expect, it } from "vitest";
import app from "../index.ts";
import { edgeEnv, seedApiKey, uniquePrompt } from "../test-support/harness.ts";

// The SDK inside workerd, as a Worker would use it to call an sdgate edge: fetch and WebCrypto only.
// Its fetch here is the edge app itself, so each call also crosses the real routes.
function clientFor(apiKey: string): Sdgate {
  return new Sdgate({
    baseUrl: "http://edge.test",
    apiKey,
    maxRetries: 0,
    fetch: async (input, init) => app.request(input, init, edgeEnv()),
  });
}

describe("@sdgate/sdk inside a Worker", () => {
  it("lists the models, prices a request and generates an image", async () => {
    const client = clientFor(await seedApiKey(["generate", "read"]));
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toContain("tiny");
    const estimate = await client.estimate({ prompt: "a red square", steps: 4 });
    expect(estimate.credits).toBeGreaterThan(0);
    const prompt = uniquePrompt();
    const { response, backend } = await client.images.generate({ prompt, size: "64x64", steps: 4, seed: 3 });
    expect(response.data[0]?.b64_json.length).toBeGreaterThan(0);
    expect(backend).toMatch(/^fake-healthy/);
  });

  it("throws the edge's refusal as SdgateApiError naming the field", async () => {
    const client = clientFor(await seedApiKey(["read"]));
    const refused = await client.estimate({ prompt: "x", steps: 0 }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(SdgateApiError);
    expect(refused).toMatchObject({ status: 400, code: "invalid_request", param: "steps" });
  });
});
