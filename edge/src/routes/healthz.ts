import type { Health } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";

/** `GET /healthz`: liveness for `npm start` and load balancers; no auth. Fails (500) if the env is invalid. */
export function registerHealthz(app: Hono<AppEnv>): void {
  app.get("/healthz", (c) => c.json({ status: "ok" } satisfies Health));
}
