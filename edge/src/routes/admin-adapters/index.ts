import {
  ADAPTER_KINDS,
  type AdapterKind,
  adapterDecisionBodySchema,
  OPERATIONS,
  type OperationId,
  registerAdapterBodySchema,
  SdgateError,
} from "@sdgate/shared";
import type { Context, Hono } from "hono";
import {
  type AdapterDecision,
  adapterLabel,
  decideAdapter,
  forgetServingAdapters,
  getAdapterRecord,
  listAdapterRecords,
  registerAdapter,
} from "../../adapters/index.ts";
import type { AppEnv } from "../../hono-env.ts";
import { adminGuard } from "../../identity/guard.ts";
import { actorOf } from "../../identity/principal.ts";
import { adminAudit, noteAudit } from "../../middleware/admin-audit/index.ts";
import { limitAdminBody, parseJsonBody, parseQuery } from "../admin-body.ts";
import { noteChange } from "../admin-people/audit-change.ts";
import { onOperation } from "../operation.ts";
import { adapterProblem } from "./problems.ts";

/** The path's `{kind}` and `{name}`; an unknown kind is a 404 like an unknown name, and audited as asked. */
function adapterParams(c: Context<AppEnv>): { kind: AdapterKind; name: string } {
  const kind = c.req.param("kind") ?? "";
  const name = c.req.param("name") ?? "";
  noteAudit(c, { detail: { adapter: `${kind}/${name}`.slice(0, 200) } });
  if (!(ADAPTER_KINDS as readonly string[]).includes(kind))
    throw new SdgateError(
      "not_found",
      `Adapter '${kind}/${name}' does not exist: kinds are ${ADAPTER_KINDS.join(", ")}.`,
    );
  return { kind: kind as AdapterKind, name };
}

const DECISIONS = {
  approveAdapter: "approve",
  rejectAdapter: "reject",
  deprecateAdapter: "deprecate",
  removeAdapter: "remove",
} as const satisfies Partial<Record<OperationId, AdapterDecision>>;

/**
 * The adapter registry's admin API (`/admin/adapters`): reading takes `models.read`, registering
 * `models.register`, deciding `models.approve` (approving never by the registrant). Every call is
 * audited, each change with its before and after; a change here is served by this isolate at once and
 * by the others within `ADAPTERS_TTL_MS`.
 */
export function registerAdminAdapters(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "listAdapterRecords",
    adminGuard("listAdapterRecords"),
    adminAudit("adapter.list"),
    async (c) => {
      const query = parseQuery(c, OPERATIONS.listAdapterRecords.query.schema);
      return c.json({ object: "list", data: await listAdapterRecords(c.var.config.db, query) });
    },
  );

  onOperation(
    app,
    "registerAdapter",
    adminGuard("registerAdapter"),
    adminAudit("adapter.register"),
    limitAdminBody,
    async (c) => {
      const body = await parseJsonBody(c, registerAdapterBodySchema);
      const { db } = c.var.config;
      const registered = await registerAdapter(db, body, actorOf(c.var.principal));
      if (!registered.ok) throw adapterProblem(registered.error);
      noteChange(c, registered.value, { adapter: adapterLabel(body.kind, body.name) });
      return c.json(registered.value.after, 201);
    },
  );

  onOperation(
    app,
    "getAdapterRecord",
    adminGuard("getAdapterRecord"),
    adminAudit("adapter.get"),
    async (c) => {
      const { kind, name } = adapterParams(c);
      const record = await getAdapterRecord(c.var.config.db, kind, name);
      if (record === null)
        throw new SdgateError("not_found", `Adapter '${adapterLabel(kind, name)}' does not exist.`);
      return c.json(record);
    },
  );

  for (const [operation, decision] of Object.entries(DECISIONS) as [
    keyof typeof DECISIONS,
    AdapterDecision,
  ][])
    onOperation(
      app,
      operation,
      adminGuard(operation),
      adminAudit(`adapter.${decision}`),
      limitAdminBody,
      async (c) => {
        const { kind, name } = adapterParams(c);
        const { comment } = await parseJsonBody(c, adapterDecisionBodySchema);
        const { db } = c.var.config;
        const decided = await decideAdapter(db, kind, name, decision, actorOf(c.var.principal), comment);
        if (!decided.ok) throw adapterProblem(decided.error);
        forgetServingAdapters(db);
        noteChange(c, decided.value);
        return c.json(decided.value.after);
      },
    );
}
