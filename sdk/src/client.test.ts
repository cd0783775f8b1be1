import { type ImageSafety, OPERATIONS, type OperationId, type OperationSpec } from "@sdgate/shared";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import { CLIENT_METHODS, Sdgate } from "./client.ts";
import type { GenerationBody } from "./resources/images.ts";
import { type FakeServer, fakeServer, json } from "./test-support/fake-server.ts";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe("the client's options", () => {
  it("are checked when the client is made, naming the bad one", () => {
    expect(() => new Sdgate({ baseUrl: "localhost:8787" })).toThrow(/baseUrl/);
    expect(() => new Sdgate({ baseUrl: "ftp://example.com" })).toThrow(/baseUrl/);
    expect(() => new Sdgate({ baseUrl: "https://example.com", maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => new Sdgate({ baseUrl: "https://example.com", timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => new Sdgate({ baseUrl: "https://example.com", apiKey: "" })).toThrow(/apiKey/);
    expect(() => new Sdgate({ baseUrl: "https://example.com", userAgent: "a\r\nX-Evil: 1" })).toThrow(
      /userAgent/,
    );
  });

  it("name the credential a call lacks", async () => {
    const client = new Sdgate({ baseUrl: "https://example.com", apiKey: "sk_test" });
    await expect(client.keys.list()).rejects.toThrow(/adminToken/);
    const admin = new Sdgate({ baseUrl: "https://example.com", adminToken: "admin-token" });
    await expect(admin.models.list()).rejects.toThrow(/apiKey/);
  });
});

describe("what goes on the wire", () => {
  it("sends the API key to /v1, the admin token to /admin and neither to a signed image link", async () => {
    server = await fakeServer((request, response) =>
      request.path.startsWith("/v1/images/")
        ? response.writeHead(200, { "content-type": "image/png" }).end(Buffer.from([0x89, 0x50]))
        : json(response, 200, { object: "list", data: [], next_cursor: null }),
    );
    const client = new Sdgate({ baseUrl: `${server.url}/`, apiKey: "sk_test", adminToken: "admin-token" });
    await client.models.list();
    await client.keys.list({ limit: 5 });
    const file = await client.images.getFile(`${server.url}/v1/images/abc.png?expires=1&sig=x`);
    expect(file).toEqual({ bytes: new Uint8Array([0x89, 0x50]), contentType: "image/png" });
    const [models, keys, image] = server.seen;
    expect(models?.headers.authorization).toBe("Bearer sk_test");
    expect(keys).toMatchObject({
      path: "/admin/keys?limit=5",
      headers: { authorization: "Bearer admin-token" },
    });
    expect(image?.headers.authorization).toBeUndefined();
  });

  it("names the program in User-Agent when asked to", async () => {
    server = await fakeServer((_, response) => json(response, 200, { object: "list", data: [] }));
    await new Sdgate({ baseUrl: server.url, apiKey: "sk_test", userAgent: "sdgate-cli/0.1" }).models.list();
    expect(server.seen[0]?.headers["user-agent"]).toBe("sdgate-cli/0.1");
  });

  it("keeps a base URL's path prefix and writes dates in a usage query as RFC 3339", async () => {
    server = await fakeServer((_, response) =>
      json(response, 200, {
        object: "usage",
        interval: "day",
        group_by: "key",
        from: "2026-11-01T00:00:00.000Z",
        to: "2026-11-02T00:00:00.000Z",
        key_id: null,
        team_ids: null,
        view: "full",
        data: [],
        totals: {
          requests: 0,
          succeeded: 0,
          failed: 0,
          cache_hits: 0,
          credits: 0,
          mean_latency_ms: null,
          images: 0,
          gpu_seconds: 0,
          saved_credits: 0,
          saved_gpu_seconds: 0,
        },
      }),
    );
    const client = new Sdgate({ baseUrl: `${server.url}/sdgate`, adminToken: "admin-token" });
    await client.usage({
      from: new Date("2026-11-01T00:00:00Z"),
      to: "2026-11-02",
      group_by: "metadata.team",
    });
    expect(server.seen[0]?.path).toBe(
      "/sdgate/admin/usage?from=2026-11-01T00%3A00%3A00.000Z&to=2026-11-02&group_by=metadata.team",
    );
  });
});

describe("me", () => {
  it("sends the API key when the client has one, else the admin token", async () => {
    const principal = {
      object: "principal",
      kind: "key",
      id: "key_1",
      name: "ci",
      email: null,
      teams: [],
      roles: [],
      permissions: ["models.read"],
    };
    server = await fakeServer((_request, response) => json(response, 200, principal));
    const both = new Sdgate({ baseUrl: server.url, apiKey: "sk_key", adminToken: "admin-token" });
    expect(await both.me()).toEqual(principal);
    await new Sdgate({ baseUrl: server.url, adminToken: "admin-token" }).me();
    expect(server.seen.map((seen) => seen.headers.authorization)).toEqual([
      "Bearer sk_key",
      "Bearer admin-token",
    ]);
    await expect(new Sdgate({ baseUrl: server.url }).me()).rejects.toThrow("an apiKey or an adminToken");
  });
});

describe("operations", () => {
  it("each operationId names a method of the client, but a browser's sign-in flow and A1111's API", () => {
    const client = new Sdgate({ baseUrl: "https://example.com" });
    for (const [id, path] of Object.entries(CLIENT_METHODS)) {
      if (path === null) {
        const op: OperationSpec = OPERATIONS[id as OperationId];
        // A1111's routes exist for A1111's own clients (Open WebUI, SillyTavern, webuiapi): wrapping
        // them here would give SDK users a second, lossier way to do what images.generate does.
        if (op.tags?.includes("a1111")) continue;
        expect(["browser", "session"], id).toContain(op.access.kind);
        continue;
      }
      const method = path
        .split(".")
        .reduce<unknown>((at, name) => (at as Record<string, unknown>)[name], client);
      expect(typeof method, path).toBe("function");
    }
  });
});

describe("types", () => {
  it("takes the contract's refiner fields in a generation body, and refuses a misspelt one at compile time", () => {
    const body: GenerationBody = {
      prompt: "a lighthouse",
      model: "sdxl",
      refiner: { model: "sdxl-refiner", switch_at: 0.8, switch_by: "steps" },
      aesthetic_score: 6,
      negative_aesthetic_score: 2.5,
    };
    expect(body.refiner?.model).toBe("sdxl-refiner");
    // @ts-expect-error switch_by is "timestep" or "steps"
    const wrong: GenerationBody = { prompt: "x", refiner: { model: "r", switch_by: "sigma" } };
    expect(wrong.prompt).toBe("x");
  });

  it("types the images by the request's response_format", () => {
    const client = new Sdgate({ baseUrl: "https://example.com", apiKey: "sk_test" });
    // Checked by tsc (the test project is part of `tsc --build`); never sent.
    const linked = () => client.images.generate({ prompt: "x", response_format: "url" });
    const inline = () => client.images.generate({ prompt: "x" });
    expectTypeOf<Awaited<ReturnType<typeof linked>>["response"]["data"][number]>().toEqualTypeOf<{
      url: string;
      seed: number;
      safety?: ImageSafety | undefined;
    }>();
    expectTypeOf<Awaited<ReturnType<typeof inline>>["response"]["data"][number]>().toEqualTypeOf<{
      b64_json: string;
      seed: number;
      safety?: ImageSafety | undefined;
    }>();
  });
});
