import { type BackendGenerateResponse, Keyring, SIGNATURE_HEADERS } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { keyring, GENERATE as PATH, request, setupApp, signed } from "./test-app.ts";

const signedPost = (body: string, signer = keyring) => signed(PATH, body, {}, signer);
const setup = (state?: "loading" | "ready" | "draining") => setupApp(state ? { state } : {});

describe("backend HTTP: happy path", () => {
  it("runs a signed, resolved request and answers with the images", async () => {
    const { app, engine } = setup();
    const response = await app.request(PATH, await signedPost(JSON.stringify(request)));
    expect(response.status).toBe(200);
    expect(response.headers.get("x-backend")).toBe("test-backend");
    const body = (await response.json()) as BackendGenerateResponse;
    expect(body.images[0]?.seed).toBe(3);
    expect(engine.batches).toHaveLength(1);
  });

  it("reports health always and readiness only once models are loaded", async () => {
    const { app, readiness } = setup("loading");
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/readyz")).status).toBe(503);
    readiness.state = "ready";
    const ready = await app.request("/readyz");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: "ready", models: ["tiny"] });
    readiness.state = "draining";
    expect((await app.request("/readyz")).status).toBe(503);
  });
});

describe("backend HTTP: security", () => {
  it("rejects an unsigned request with 401", async () => {
    const { app, engine } = setup();
    const response = await app.request(PATH, { method: "POST", body: JSON.stringify(request) });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_signature");
    expect(engine.batches).toHaveLength(0);
  });

  it("rejects a request signed with another secret, a tampered body and a replay", async () => {
    const { app } = setup();
    const other = new Keyring([{ id: "k1", secret: "x".repeat(40) }]);
    expect((await app.request(PATH, await signedPost(JSON.stringify(request), other))).status).toBe(401);

    const init = await signedPost(JSON.stringify(request));
    const tampered = { ...init, body: JSON.stringify({ ...request, seed: 4 }) };
    expect((await app.request(PATH, tampered)).status).toBe(401);

    expect((await app.request(PATH, init)).status).toBe(200);
    expect((await app.request(PATH, init)).status).toBe(401);
  });

  it("rejects a stale timestamp", async () => {
    const { app } = setup();
    const body = JSON.stringify(request);
    const headers = await keyring.sign({ method: "POST", path: PATH, body }, { nowMs: Date.now() - 301_000 });
    const response = await app.request(PATH, { method: "POST", body, headers });
    expect(response.status).toBe(401);
    expect(headers[SIGNATURE_HEADERS.timestamp]).toBeDefined();
  });
});

describe("backend HTTP: errors", () => {
  it("names the bad field of a malformed request", async () => {
    const { app } = setup();
    const response = await app.request(PATH, await signedPost(JSON.stringify({ ...request, width: 63 })));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe("width");
    const notJson = await app.request(PATH, await signedPost("{nope"));
    expect(notJson.status).toBe(400);
  });

  it("answers 404 for a model it does not serve, and JSON 404 for unknown routes", async () => {
    const { app } = setup();
    const response = await app.request(PATH, await signedPost(JSON.stringify({ ...request, model: "sdxl" })));
    expect(response.status).toBe(404);
    expect(((await response.json()) as { error: { param: string } }).error.param).toBe("model");
    const unknown = await app.request("/nope");
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe("not_found");
  });

  it("answers 503 with Retry-After while loading", async () => {
    const { app } = setup("loading");
    const response = await app.request(PATH, await signedPost(JSON.stringify(request)));
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
  });

  it("turns an engine crash into a 500 envelope without internals", async () => {
    const { app, engine } = setup();
    engine.crashOnPrompt = "crash";
    const response = await app.request(
      PATH,
      await signedPost(JSON.stringify({ ...request, prompt: "crash" })),
    );
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("secret");
    expect(text).not.toContain("at ");
    expect(JSON.parse(text)).toMatchObject({ error: { code: "internal_error" } });
  });
});
