import {
  type BackendGenerateResponse,
  Keyring,
  MAX_REQUEST_BODY_BYTES,
  SIGNATURE_HEADERS,
} from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { BACKEND_NAME, keyring, GENERATE as PATH, request, setupApp, signed } from "./test-app.ts";

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
    expect(await ready.json()).toEqual({
      status: "ready",
      queue_depth: 0,
      in_flight: 0,
      estimated_wait_ms: 0,
    });
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
    const headers = await keyring.sign(
      { method: "POST", path: PATH, body, audience: BACKEND_NAME },
      { nowMs: Date.now() - 301_000 },
    );
    const response = await app.request(PATH, { method: "POST", body, headers });
    expect(response.status).toBe(401);
    expect(headers[SIGNATURE_HEADERS.timestamp]).toBeDefined();
  });
});

/** A request body that records how many bytes were pulled from it; `total` bytes, or endless. */
function recordingBody(total = Number.POSITIVE_INFINITY, chunkBytes = 1024 * 1024) {
  const record = { pulledBytes: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const size = Math.min(chunkBytes, total - record.pulledBytes);
        if (size <= 0) return controller.close();
        record.pulledBytes += size;
        controller.enqueue(new Uint8Array(size).fill(0x20));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, record };
}

function streamedPost(headers: Record<string, string>, body: ReadableStream<Uint8Array>): Request {
  return new Request(`http://backend${PATH}`, {
    method: "POST",
    headers,
    body,
    duplex: "half",
  } as RequestInit);
}

describe("backend HTTP: no work for callers without a signature", () => {
  const body = JSON.stringify(request);

  it("never reads the body of a request whose signature headers are missing, stale, unknown or for another backend", async () => {
    const { app, engine } = setup();
    const good = (await signedPost(body)).headers as Record<string, string>;
    const stale = await keyring.sign(
      { method: "POST", path: PATH, body, audience: BACKEND_NAME },
      { nowMs: Date.now() - 301_000 },
    );
    const cases: [string, Record<string, string>][] = [
      ["missing headers", { "content-type": "application/json" }],
      ["stale timestamp", stale],
      ["unknown key", { ...good, [SIGNATURE_HEADERS.keyId]: "k9" }],
      ["wrong audience", await keyring.sign({ method: "POST", path: PATH, body, audience: "other" })],
      ["malformed signature", { ...good, [SIGNATURE_HEADERS.signature]: "v3=nothex" }],
    ];
    for (const [reason, headers] of cases) {
      const { stream, record } = recordingBody(body.length);
      const response = await app.request(streamedPost(headers, stream));
      expect(response.status, reason).toBe(401);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(reason);
      expect(record.pulledBytes, reason).toBe(0);
    }
    expect(engine.batches).toHaveLength(0);
  });

  it("refuses a Content-Length above the cap at once, without reading", async () => {
    const { app } = setup();
    const headers = (await signedPost(body)).headers as Record<string, string>;
    const { stream, record } = recordingBody();
    const response = await app.request(
      streamedPost({ ...headers, "content-length": String(MAX_REQUEST_BODY_BYTES + 1) }, stream),
    );
    expect(response.status).toBe(413);
    expect(record.pulledBytes).toBe(0);
  });

  it("cuts off a streamed body with no Content-Length as soon as it passes the cap", async () => {
    const { app } = setup();
    const headers = (await signedPost(body)).headers as Record<string, string>;
    const { stream, record } = recordingBody();
    const response = await app.request(streamedPost(headers, stream));
    expect(response.status).toBe(413);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("payload_too_large");
    // read up to the chunk that crossed the cap, and not one more
    expect(record.pulledBytes).toBeGreaterThan(MAX_REQUEST_BODY_BYTES);
    expect(record.pulledBytes).toBeLessThanOrEqual(MAX_REQUEST_BODY_BYTES + 1024 * 1024);
  });

  it("refuses a request signed for backend A at backend B, though A would take it", async () => {
    const a = setupApp({ name: "gpu-a" });
    const b = setupApp({ name: "gpu-b" });
    const forA = await signed(PATH, body, {}, keyring, "gpu-a");
    const atB = await b.app.request(PATH, forA);
    expect(atB.status).toBe(401);
    expect(((await atB.json()) as { error: { message: string } }).error.message).toMatch(/wrong audience/);
    // Relabelled as meant for B, the signature (over A's name) does not hold.
    const relabelled = {
      ...forA,
      headers: { ...(forA.headers as object), [SIGNATURE_HEADERS.audience]: "gpu-b" },
    };
    expect((await b.app.request(PATH, relabelled)).status).toBe(401);
    expect((await a.app.request(PATH, forA)).status).toBe(200);
    expect(b.engine.batches).toHaveLength(0);
  });

  it("keeps /readyz to state and load; what is served, and how fast, needs a signature", async () => {
    const { app } = setup();
    const readyz = await app.request("/readyz");
    expect(Object.keys((await readyz.json()) as object).sort()).toEqual([
      "estimated_wait_ms",
      "in_flight",
      "queue_depth",
      "status",
    ]);
    expect((await app.request("/internal/v1/status")).status).toBe(401);
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
