import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type Keyring, MemoryNonceStore, type ResolvedGenerationRequest } from "@sdgate/shared";
import { solidPng } from "@sdgate/shared/testing/png";

/** A 64×64 grey PNG, encoded once: the backend's work is not what this benchmark measures. */
function tinyPng(): string {
  return solidPng(64, 64, [128, 128, 128]).toString("base64");
}

/** The bench backend's name in the edge's registry: the edge signs its requests for it. */
export const BENCH_BACKEND_NAME = "bench";

export interface BenchBackend {
  url: string;
  /** Generate calls received. */
  calls(): number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

export interface BenchBackendOptions {
  /** How long a prompt containing `[hold]` is held (ms), for the limiter's concurrency check. */
  holdMs: number;
  /** How long each generation takes (ms), ±10 % by seed ({@link generationMs}); 0 answers at once. */
  generateMs?: number;
}

/**
 * How long the stand-in takes for the generation with `seed`: `generateMs` ± 10 %, spread evenly by
 * the seed (golden-ratio steps), so that concurrent callers do not stay in lockstep while a caller
 * can still subtract the exact time from each latency it measured.
 */
export function generationMs(generateMs: number, seed: number): number {
  const spread = (seed * 0.618_033_988_75) % 1;
  return generateMs * (0.9 + 0.2 * spread);
}

/**
 * A stand-in GPU backend on 127.0.0.1 that does what the real one does around the engine (verify
 * the edge's HMAC signature, parse the request, answer with images and load headers) and, unless
 * `generateMs` asks it to take a GPU's time, nothing else.
 */
export async function startBenchBackend(
  keyring: Keyring,
  { holdMs, generateMs = 0 }: BenchBackendOptions,
): Promise<BenchBackend> {
  const png = tinyPng();
  const nonces = new MemoryNonceStore();
  let calls = 0;
  const server: Server = createServer(async (req, res) => {
    if (req.url === "/readyz") {
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ready"}');
      return;
    }
    const bytes = await readBody(req);
    const verdict = await keyring.verify(
      { method: "POST", path: req.url ?? "/", body: bytes },
      { get: (name) => req.headers[name.toLowerCase()]?.toString() ?? null },
      nonces,
      { audience: BENCH_BACKEND_NAME },
    );
    if (!verdict.ok) {
      res.writeHead(401).end();
      return;
    }
    calls++;
    const request = JSON.parse(new TextDecoder().decode(bytes)) as ResolvedGenerationRequest;
    const takesMs = (request.prompt.includes("[hold]") ? holdMs : 0) + generationMs(generateMs, request.seed);
    if (takesMs > 0) await new Promise((resolve) => setTimeout(resolve, takesMs));
    const body = JSON.stringify({
      model: request.model,
      output_format: request.output_format,
      images: Array.from({ length: request.n }, (_, i) => ({
        seed: request.seed + i,
        width: 64,
        height: 64,
        b64: png,
      })),
      timings_ms: { text_encode: 0, denoise: 0, decode: 0, image_encode: 0, total: 0 },
    });
    res
      .writeHead(200, {
        "content-type": "application/json",
        "x-queue-depth": "0",
        "x-estimated-wait-ms": "0",
      })
      .end(body);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
