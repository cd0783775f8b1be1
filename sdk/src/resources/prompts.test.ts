import type { PromptTokens } from "@sdgate/shared";
import { afterEach, describe, expect, it } from "vitest";
import { Sdgate } from "../client.ts";
import { SdgateApiError } from "../errors/api-error.ts";
import { type FakeServer, fakeServer, json } from "../test-support/fake-server.ts";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const COUNTED: PromptTokens = {
  object: "prompt.tokens",
  model: "tiny",
  chunk_tokens: 75,
  max_chunks: 8,
  total_tokens: 5,
  tokens_over_limit: 0,
  chunks: [
    { tokens: 3, start: 0, end: 11, over_limit: false },
    { tokens: 2, start: 18, end: 22, over_limit: false },
  ],
};

describe("client.prompts.tokenize", () => {
  it("POSTs the model and prompt with the API key and returns the chunks", async () => {
    server = await fakeServer((_, response) => json(response, 200, COUNTED));
    const client = new Sdgate({ baseUrl: server.url, apiKey: "sk_test", maxRetries: 0 });
    const counted = await client.prompts.tokenize({ model: "tiny", prompt: "a (fox:1.2) BREAK snow" });
    expect(counted).toEqual(COUNTED);
    const [seen] = server.seen;
    expect(seen).toMatchObject({ method: "POST", path: "/v1/prompts/tokenize" });
    expect(seen?.headers.authorization).toBe("Bearer sk_test");
    expect(JSON.parse(seen?.body ?? "")).toEqual({ model: "tiny", prompt: "a (fox:1.2) BREAK snow" });
  });

  it("passes on the edge's error, naming the field", async () => {
    server = await fakeServer((_, response) =>
      json(response, 404, {
        error: {
          type: "invalid_request_error",
          code: "model_not_found",
          message: "No model 'x'.",
          param: "model",
        },
        request_id: "req_1",
      }),
    );
    const client = new Sdgate({ baseUrl: server.url, apiKey: "sk_test", maxRetries: 0 });
    const error = await client.prompts.tokenize({ model: "x", prompt: "a fox" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SdgateApiError);
    expect(error).toMatchObject({ code: "model_not_found", param: "model", status: 404 });
  });
});
