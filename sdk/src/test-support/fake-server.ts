import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A request as the fake server received it. */
export interface SeenRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  body: string;
  /** When it arrived (ms since the epoch). */
  atMs: number;
}

export type FakeHandler = (request: SeenRequest, response: ServerResponse, index: number) => unknown;

export interface FakeServer {
  url: string;
  seen: SeenRequest[];
  /** Connections the client closed before the server answered in full. */
  clientHangUps: number;
  close(): Promise<void>;
}

/**
 * A real HTTP server on loopback whose answers a test writes, so the client's own behaviour (retries,
 * timeouts, streams that drop) is tested through a real socket rather than a mocked fetch.
 *
 * @example
 * const server = await fakeServer((request, response) => response.writeHead(200).end("{}"));
 */
export async function fakeServer(handler: FakeHandler): Promise<FakeServer> {
  const seen: SeenRequest[] = [];
  const state = { clientHangUps: 0 };
  const server = createServer(async (incoming, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const request: SeenRequest = {
      method: incoming.method ?? "GET",
      path: incoming.url ?? "/",
      headers: incoming.headers,
      body: Buffer.concat(chunks).toString("utf8"),
      atMs: Date.now(),
    };
    seen.push(request);
    response.on("close", () => {
      if (!response.writableFinished) state.clientHangUps++;
    });
    try {
      await handler(request, response, seen.length - 1);
    } catch (error) {
      response.destroy(error as Error);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    get clientHangUps() {
      return state.clientHangUps;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a JSON answer. */
export function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** The contract's error envelope, as the edge writes it. */
export function envelope(
  code: string,
  message: string,
  param: string | null = null,
  type = "invalid_request_error",
) {
  return { error: { type, code, message, param }, request_id: "req_fake" };
}

/** A job view as the edge shows it, with `status` and whatever else a test sets. */
export { exampleJobView as jobView } from "@sdgate/shared/testing";

/** A generation answer as the edge gives it (`b64_json`). */
export function generationBody(seed = 7) {
  return {
    created: 1_780_000_000,
    data: [{ b64_json: "iVBORw0KGgo=", seed }],
    model: "tiny",
    output_format: "png",
    size: "64x64",
    backend: "local-a",
    timings_ms: { text_encode: 1, denoise: 2, decode: 3, image_encode: 4, total: 10 },
  };
}
