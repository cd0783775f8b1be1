import type { Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { openApiDocument } from "../openapi/document.ts";
import { onOperation } from "./operation.ts";

// Built once per isolate and origin: the schemas do not change while it runs.
const documents = new Map<string, Record<string, unknown>>();

/** `GET /openapi.json`: the API's OpenAPI 3.1 document, for client generators and API explorers. */
export function registerOpenApi(app: Hono<AppEnv>): void {
  onOperation(app, "getOpenApiDocument", (c) => {
    const origin = new URL(c.req.url).origin;
    let document = documents.get(origin);
    if (document === undefined) {
      document = openApiDocument(origin);
      // An isolate answers for a handful of hostnames; a host header made up per request is not kept.
      if (documents.size < 16) documents.set(origin, document);
    }
    return c.json(document, 200, { "Cache-Control": "public, max-age=300" });
  });
}
