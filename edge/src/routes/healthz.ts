import type { Health } from "@sdgate/shared";
import type { Hono } from "hono";
import type { AppEnv } from "../hono-env.ts";
import { onOperation } from "./operation.ts";

/** `GET /healthz`: liveness for `npm start` and load balancers; no auth. Fails (500) if the env is invalid. */
export function registerHealthz(app: Hono<AppEnv>): void {
  onOperation(app, "getHealth", (c) => c.json({ status: "ok" } satisfies Health));
}
