import type { IncomingMessage, ServerResponse } from "node:http";
import {
  BACKEND_STATUS_PATH,
  CONTEXT_HEADERS,
  type Keyring,
  MemoryNonceStore,
  type ResolvedGenerationRequest,
  resolvedGenerationRequestSchema,
  SIGNATURE_HEADERS,
} from "@sdgate/shared";
import { solidPng } from "@sdgate/shared/testing/png";
import type { TestProject } from "vitest/node";
import { FAKE_ADAPTERS, FAKE_TINY_DIGESTS } from "../src/test-support/fake-backends.ts";
import {
  CANCELS_PATH,
  DELIVERIES_PATH,
  DROP_AFTER_STEPS,
  REJECT_MARKER,
  type RecordedCancel,
  type RecordedDelivery,
  type RecordedStreamCall,
  STREAM_CALLS_PATH,
  STREAM_READYZ,
  STREAM_STEP_MS,
  type StreamFakes,
} from "../src/test-support/stream-fakes.ts";
import { fakeControlMaps } from "./fake-control-maps.ts";
import { listenOnLoopback } from "./loopback.ts";

declare module "vitest" {
  export interface ProvidedContext {
    streamFakes: StreamFakes;
  }
}

const GENERATE_PATH = "/internal/v1/generate";

function envelope(code: string, type: string, message: string, param: string | null = null) {
  return { error: { type, code, message, param }, request_id: "req_streamfake" };
}

/** What the streaming fakes report, at `/readyz` and at the signed status alike. */
const STATUS = {
  status: "ready",
  models: ["tiny"],
  // The files every fake but healthyB holds for tiny (registry serving: edge/src/test-support/fake-backends.ts).
  versions: { tiny: FAKE_TINY_DIGESTS.common },
  adapters: FAKE_ADAPTERS,
  queue_size: 16,
  in_flight: 0,
  max_batch: 1,
  ...STREAM_READYZ,
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    "content-type": "application/json",
    "x-queue-depth": "0",
    "x-estimated-wait-ms": "0",
  });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function result(request: ResolvedGenerationRequest) {
  const b64 = solidPng(request.width, request.height, [0, 160, 0]).toString("base64");
  return {
    model: request.model,
    output_format: request.output_format,
    execution_provider: "cpu",
    images: Array.from({ length: request.n }, (_, i) => ({
      seed: request.seed + i,
      width: request.width,
      height: request.height,
      b64,
    })),
    ...fakeControlMaps(request),
    timings_ms: {
      text_encode: 1,
      denoise: request.steps * STREAM_STEP_MS,
      decode: 1,
      image_encode: 1,
      total: 10,
    },
  };
}

/** A backend that streams progress like the real one's `Accept: text/event-stream` generate call. */
async function startStreamingBackend(keyring: Keyring, dropAfterSteps: number | null) {
  const nonces = new MemoryNonceStore();
  const calls: RecordedStreamCall[] = [];
  const cancels: RecordedCancel[] = [];
  const cancelled = new Set<string>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === "/readyz") {
      return json(res, 200, STATUS);
    }
    if (req.method === "GET" && url.pathname === STREAM_CALLS_PATH) {
      const prompt = url.searchParams.get("prompt");
      return json(
        res,
        200,
        calls.filter((call) => prompt === null || call.prompt === prompt),
      );
    }
    if (req.method === "GET" && url.pathname === CANCELS_PATH) {
      const job = url.searchParams.get("job");
      return json(
        res,
        200,
        cancels.filter((cancel) => job === null || cancel.jobId === job),
      );
    }
    const header = (name: string) => req.headers[name.toLowerCase()]?.toString() ?? null;
    const bytes = await readBody(req);
    const verdict = await keyring.verify(
      { method: req.method ?? "GET", path: `${url.pathname}${url.search}`, body: bytes },
      { get: header },
      nonces,
      // a fake answers to whatever name the test's registry gives it
      { audience: header(SIGNATURE_HEADERS.audience) ?? "" },
    );
    // The signed status, as the real backend's: step times are not for strangers.
    if (req.method === "GET" && url.pathname === BACKEND_STATUS_PATH) {
      if (!verdict.ok) return json(res, 401, { error: verdict.error });
      return json(res, 200, STATUS);
    }
    const cancelMatch = /^\/internal\/v1\/jobs\/([^/]+)\/cancel$/.exec(url.pathname);
    if (req.method === "POST" && cancelMatch) {
      const jobId = decodeURIComponent(cancelMatch[1] as string);
      cancels.push({ jobId, signature: verdict.ok ? "ok" : verdict.error });
      if (!verdict.ok)
        return json(res, 401, envelope("invalid_signature", "authentication_error", "Bad signature."));
      cancelled.add(jobId);
      return json(res, 200, { job_id: jobId, status: "cancelling" });
    }
    if (req.method !== "POST" || url.pathname !== GENERATE_PATH) {
      return json(res, 404, envelope("not_found", "not_found_error", "Not found."));
    }
    let body: unknown = null;
    try {
      body = JSON.parse(new TextDecoder().decode(bytes));
    } catch {}
    const jobId = header(CONTEXT_HEADERS.jobId);
    calls.push({
      jobId,
      tenant: header(CONTEXT_HEADERS.tenant),
      deadline: header(CONTEXT_HEADERS.deadline),
      previewEvery: header(CONTEXT_HEADERS.previewEvery),
      accept: header("accept"),
      signature: verdict.ok ? "ok" : verdict.error,
      prompt: (body as { prompt?: string } | null)?.prompt ?? null,
    });
    if (!verdict.ok)
      return json(res, 401, envelope("invalid_signature", "authentication_error", "Bad signature."));
    const parsed = resolvedGenerationRequestSchema.safeParse(body);
    if (!parsed.success)
      return json(res, 400, envelope("invalid_request", "invalid_request_error", "Bad request."));
    const request = parsed.data;
    if (!(header("accept") ?? "").includes("text/event-stream")) {
      await sleep(request.steps * STREAM_STEP_MS);
      return json(res, 200, result(request));
    }
    res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      "x-queue-depth": "1",
      "x-estimated-wait-ms": "0",
    });
    let id = 1;
    const send = (event: string, data: unknown) =>
      res.write(`id: ${id++}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    if (request.prompt.includes(REJECT_MARKER)) {
      send("error", envelope("invalid_request", "invalid_request_error", "Prompt refused.", "prompt"));
      return void res.end();
    }
    send("queued", { position: 2, estimated_wait_ms: 2 * STREAM_STEP_MS });
    await sleep(STREAM_STEP_MS);
    send("queued", { position: 1, estimated_wait_ms: STREAM_STEP_MS });
    await sleep(STREAM_STEP_MS);
    send("started", { batch_size: 1, queue_wait_ms: 2 * STREAM_STEP_MS });
    const previewEvery = Number(header(CONTEXT_HEADERS.previewEvery) ?? "0");
    for (let step = 1; step <= request.steps; step++) {
      await sleep(STREAM_STEP_MS);
      if (res.destroyed) return;
      if (jobId !== null && cancelled.has(jobId)) {
        send("error", envelope("cancelled", "invalid_request_error", "The job was cancelled."));
        return void res.end();
      }
      if (dropAfterSteps !== null && step > dropAfterSteps) return void res.destroy();
      const preview =
        previewEvery > 0 && step % previewEvery === 0
          ? { preview: { format: "jpeg", width: 8, height: 8, b64: "AAAA" } }
          : {};
      send("progress", {
        step,
        steps: request.steps,
        image: 0,
        images: request.n,
        eta_ms: (request.steps - step) * STREAM_STEP_MS,
        ...preview,
      });
    }
    send("result", result(request));
    res.end();
  }

  return listenOnLoopback((req, res) => handle(req, res));
}

/** Records webhooks; `flaky*` names fail their first delivery with a 503, to see the retry. */
async function startWebhookReceiver() {
  const deliveries: RecordedDelivery[] = [];
  return listenOnLoopback(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    if (req.method === "GET" && url.pathname === DELIVERIES_PATH) {
      const name = url.searchParams.get("name");
      return json(
        res,
        200,
        deliveries.filter((delivery) => name === null || delivery.name === name),
      );
    }
    const match = /^\/hooks\/([\w-]+)$/.exec(url.pathname);
    if (req.method !== "POST" || !match) return json(res, 404, {});
    const name = match[1] as string;
    const body = new TextDecoder().decode(await readBody(req));
    const first = !deliveries.some((delivery) => delivery.name === name);
    const status = name.startsWith("flaky") && first ? 503 : 204;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers))
      if (typeof value === "string") headers[key] = value;
    deliveries.push({ name, headers, body, status });
    res.writeHead(status);
    res.end();
  });
}

/**
 * Starts the streaming fakes and the webhook receiver, provides their URLs as `streamFakes`, and
 * returns what stops them (called from edge/test/global-setup.ts).
 */
export async function setupStreamFakes(project: TestProject, keyring: Keyring): Promise<() => Promise<void>> {
  const [stream, streamDrop, webhooks] = await Promise.all([
    startStreamingBackend(keyring, null),
    startStreamingBackend(keyring, DROP_AFTER_STEPS),
    startWebhookReceiver(),
  ]);
  project.provide("streamFakes", { stream: stream.url, streamDrop: streamDrop.url, webhooks: webhooks.url });
  return async () => {
    await Promise.all([stream.close(), streamDrop.close(), webhooks.close()]);
  };
}
