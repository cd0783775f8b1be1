import { type AdapterList, OPERATIONS } from "@sdgate/shared";
import type { Hono } from "hono";
import { listAdapters } from "../adapters/index.ts";
import type { AppEnv } from "../hono-env.ts";
import { keyAuth } from "../keys/authorize.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { parseQuery } from "./admin-body.ts";
import { onOperation } from "./operation.ts";

/**
 * `GET /v1/adapters`: the LoRAs and ControlNet models the key may name, like `GET /v1/models` (a key
 * with `read`, counted against its request rate).
 */
export function registerAdapters(app: Hono<AppEnv>): void {
  onOperation(app, "listAdapters", keyAuth("listAdapters"), async (c) => {
    const { kind, model } = parseQuery(c, OPERATIONS.listAdapters.query.schema);
    await admitRequestOnly(c);
    const list: AdapterList = { object: "list", data: await listAdapters(c, kind, model) };
    return c.json(list);
  });
}
