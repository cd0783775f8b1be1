import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  BACKEND_STATUS_PATH,
  BACKEND_TOKENIZE_PATH,
  CONTEXT_HEADERS,
  type Keyring,
  MemoryNonceStore,
  OUTCOME_OF_ACTION,
  type ResolvedGenerationRequest,
  resolvedGenerationRequestSchema,
  SIGNATURE_HEADERS,
} from "@sdgate/shared";
import { solidPng } from "@sdgate/shared/testing/png";
import sharp from "sharp";
import {
  BUSY_LOAD_HEADERS,
  CALLS_PATH,
  FAKE_ADAPTERS,
  FAKE_ARCHITECTURES,
  FAKE_LOAD_HEADERS,
  FAKE_STATUS,
  type FakeBehaviour,
  fakePromptTokens,
  fakeTinyDigest,
  MODE_PATH,
  type RecordedCall,
  SLOW_BACKEND_DELAY_MS,
} from "../src/test-support/fake-backends.ts";
import { fakeControlMaps } from "./fake-control-maps.ts";
import { type LoopbackServer, listenOnLoopback } from "./loopback.ts";

const GENERATE_PATH = "/internal/v1/generate";
const MAX_BODY_BYTES = 1024 * 1024;

export type FakeBackend = LoopbackServer;

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}

function envelope(code: string, type: string, message: string, param: string | null = null) {
  return { error: { type, code, message, param }, request_id: "req_fakebackend" };
}

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new Error("body too large");
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * The output safety check as the fakes play it: a prompt with the word "unsafe" is flagged and gets
 * the request's action (without changing the bytes); any other passes. The hash is of the bytes sent.
 */
function safetyOf(request: ResolvedGenerationRequest, png: Buffer) {
  if (request.safety_check === undefined) return {};
  const flagged = /\bunsafe\b/.test(request.prompt);
  const outcome = flagged ? OUTCOME_OF_ACTION[request.safety_check] : "passed";
  const image_sha256 = createHash("sha256").update(png).digest("hex");
  return { safety: { outcome, concepts: flagged ? [3] : [], special_care: false, image_sha256 } };
}

async function generated(request: ResolvedGenerationRequest, colour: readonly [number, number, number]) {
  const png = solidPng(request.width, request.height, colour);
  const b64 = png.toString("base64");
  // As the real backend (backend/src/engine/image/thumbnail.ts): a WebP of at most 128 px a side.
  const thumb = await sharp(png)
    .resize(128, 128, { fit: "inside", withoutEnlargement: true })
    .webp()
    .toBuffer();
  const safety = safetyOf(request, png);
  return {
    model: request.model,
    output_format: request.output_format,
    images: Array.from({ length: request.n }, (_, i) => ({
      seed: request.seed + i,
      width: request.width,
      height: request.height,
      b64,
      thumb_b64: thumb.toString("base64"),
      ...safety,
    })),
    ...fakeControlMaps(request),
    timings_ms: { text_encode: 1, denoise: 5, decode: 1, image_encode: 1, total: 8 },
  };
}

/**
 * A stand-in for a GPU backend that really listens on 127.0.0.1: it verifies the edge's HMAC signature
 * (401 when it is wrong, like the real backend), records every generate call for the tests to read
 * back at `GET /__calls?prompt=…`, and otherwise behaves as `behaviour` says.
 */
export async function startFakeBackend(behaviour: FakeBehaviour, keyring: Keyring): Promise<FakeBackend> {
  const nonces = new MemoryNonceStore();
  const calls: RecordedCall[] = [];
  let switchedToFail = false;
  const colour: [number, number, number] = behaviour === "healthyB" ? [0, 0, 255] : [255, 0, 0];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === CALLS_PATH) {
      const prompt = url.searchParams.get("prompt");
      const matching = calls.filter((call) => {
        const body = call.body as { prompt?: unknown } | null;
        return prompt === null || body?.prompt === prompt;
      });
      return send(res, 200, matching);
    }
    // Readiness, as the real backend's `/readyz`: every fake that listens is ready.
    if (req.method === "GET" && url.pathname === "/readyz") {
      return send(res, 200, { status: "ready", models: ["tiny"] });
    }
    if (req.method === "POST" && url.pathname === MODE_PATH) {
      switchedToFail = url.searchParams.get("mode") === "fail";
      return send(res, 200, { mode: switchedToFail ? "fail" : "ok" });
    }
    const header = (name: string) => req.headers[name.toLowerCase()]?.toString() ?? null;
    // A fake answers to whatever name the test's registry gives it, and records that name.
    const audience = header(SIGNATURE_HEADERS.audience);
    if (req.method === "GET" && url.pathname === BACKEND_STATUS_PATH) {
      const verdict = await keyring.verify(
        { method: "GET", path: url.pathname, body: "" },
        { get: header },
        nonces,
        { audience: audience ?? "" },
      );
      if (!verdict.ok)
        return send(res, 401, envelope("invalid_signature", "authentication_error", verdict.error));
      return send(res, 200, {
        ...FAKE_STATUS,
        versions: { tiny: fakeTinyDigest(behaviour) },
        adapters: FAKE_ADAPTERS,
        architectures: FAKE_ARCHITECTURES,
      });
    }
    if (req.method !== "POST" || (url.pathname !== GENERATE_PATH && url.pathname !== BACKEND_TOKENIZE_PATH)) {
      return send(res, 404, envelope("not_found", "not_found_error", "Not found."));
    }
    const bytes = await readBody(req);
    const verdict = await keyring.verify(
      { method: "POST", path: `${url.pathname}${url.search}`, body: bytes },
      { get: header },
      nonces,
      { audience: audience ?? "" },
    );
    let body: unknown = null;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {}
    calls.push({
      method: req.method,
      path: url.pathname,
      signature: verdict.ok ? "ok" : verdict.error,
      keyId: verdict.ok ? verdict.value.keyId : null,
      requestId: header(CONTEXT_HEADERS.requestId),
      audience,
      tenant: header(CONTEXT_HEADERS.tenant),
      deadline: header(CONTEXT_HEADERS.deadline),
      receivedAtMs: Date.now(),
      body,
    });
    if (!verdict.ok) {
      return send(res, 401, envelope("invalid_signature", "authentication_error", "Bad signature."));
    }
    switch (behaviour) {
      case "unavailable":
        return send(res, 503, envelope("backend_unavailable", "api_error", "Queue full."), {
          "retry-after": "2",
        });
      case "rateLimited":
        return send(res, 429, envelope("rate_limited", "rate_limit_error", "Slow down."), {
          "retry-after": "3",
        });
      case "badRequest":
        return send(
          res,
          400,
          envelope("invalid_request", "invalid_request_error", "Prompt refused.", "prompt"),
        );
      case "malformed":
        return send(res, 200, { images: "not a list" });
      case "flaky":
        return send(res, 500, envelope("internal_error", "api_error", "Engine crashed."));
      case "switchable":
        if (switchedToFail) return send(res, 500, envelope("internal_error", "api_error", "Switched off."));
        break;
      case "slow":
        await new Promise((resolve) => setTimeout(resolve, SLOW_BACKEND_DELAY_MS));
        break;
      case "busy":
      case "healthy":
      case "healthyB":
        break;
    }
    if (url.pathname === BACKEND_TOKENIZE_PATH) return answerTokenize(res, body);
    const request = resolvedGenerationRequestSchema.safeParse(body);
    if (!request.success) {
      return send(res, 400, envelope("invalid_request", "invalid_request_error", "Not a resolved request."));
    }
    // As the real backend: a registry version runs only on the files it names.
    const wanted = request.data.model_version;
    if (wanted !== undefined && wanted.digest !== fakeTinyDigest(behaviour)) {
      return send(
        res,
        503,
        envelope("model_version_unavailable", "api_error", `Not holding tiny@${wanted.version}.`, "model"),
      );
    }
    const load = behaviour === "busy" ? BUSY_LOAD_HEADERS : FAKE_LOAD_HEADERS;
    const answer = await generated(request.data, colour);
    if (!res.destroyed) send(res, 200, answer, load);
  }

  return listenOnLoopback(handle);
}

/** A count for `tiny`, as the real backend's route answers; `model_not_found` for any other model. */
function answerTokenize(res: ServerResponse, body: unknown): void {
  const { model, prompt } = (body ?? {}) as { model?: unknown; prompt?: unknown };
  if (typeof model !== "string" || typeof prompt !== "string") {
    send(res, 400, envelope("invalid_request", "invalid_request_error", "Not a tokenize request."));
  } else if (model !== "tiny") {
    const message = `Model '${model}' is not served by this backend.`;
    send(res, 404, envelope("model_not_found", "invalid_request_error", message, "model"));
  } else {
    send(res, 200, fakePromptTokens(model, prompt), FAKE_LOAD_HEADERS);
  }
}

/** A loopback URL where nothing listens: a port that was just bound and released. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
