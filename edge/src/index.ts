import { Hono } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { configFor } from "./env.ts";
import type { AppEnv } from "./hono-env.ts";
import { errorHandler, methodNotAllowedHandler, notFoundHandler } from "./middleware/error-handler/index.ts";
import { requestId } from "./middleware/request-id/index.ts";
import { registerGenerations } from "./routes/generations.ts";
import { registerHealthz } from "./routes/healthz.ts";
import { registerModels } from "./routes/models.ts";

export { type ApiKeyRecord, apiKeyRecordKey } from "./api-keys.ts";
export type { EdgeConfig, Env } from "./env.ts";

/** sdgate's edge: a Cloudflare Worker in front of the GPU backends. See shared/DESIGN.md, "Public API (edge)". */
const app = new Hono<AppEnv>();

app.use(requestId());
app.use(methodNotAllowed({ app, onMethodNotAllowed: methodNotAllowedHandler() }));
app.use(async (c, next) => {
  c.set("config", configFor(c.env));
  await next();
});

registerHealthz(app);
registerModels(app);
registerGenerations(app);

app.notFound(notFoundHandler());
app.onError(errorHandler());

export default app;
