import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** A stand-in server the edge tests start on 127.0.0.1 (never another interface), and its stop. */
export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `handler` on a free loopback port. A handler that throws answers 500 with sdgate's error
 * envelope (or drops the connection if it already began answering), as a crashing backend would.
 */
export async function listenOnLoopback(
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<LoopbackServer> {
  const server: Server = createServer((req, res) => {
    handler(req, res).catch(() => {
      if (res.headersSent) return void res.destroy();
      res.writeHead(500, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          error: { type: "api_error", code: "internal_error", message: "Fake failed.", param: null },
          request_id: "req_fake",
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
