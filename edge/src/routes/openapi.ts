import type { Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { openApiDocument } from "../openapi/document.ts";

// Built once per isolate: the schemas do not change while it runs.
let document: Record<string, unknown> | null = null;

/** `GET /openapi.json`: the API's OpenAPI 3.1 document, for client generators and API explorers. */
export function registerOpenApi(app: Hono<AppEnv>): void {
  app.get("/openapi.json", (c) => {
    document ??= openApiDocument();
    return c.json(document, 200, { "Cache-Control": "public, max-age=300" });
  });
}
