import {
  EXPERIMENT_HEADER,
  expandSweep,
  SdgateError,
  type Sweep,
  type SweepEstimate,
  type SweepList,
  sweepBodySchema,
} from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { inBackground } from "../gateway/serve.ts";
import type { AppEnv } from "../hono-env.ts";
import { authorize, keyAuth } from "../keys/authorize.ts";
import { clientIpOf } from "../keys/key-check.ts";
import { experimentHeader } from "../runs/record.ts";
import { randomSeed } from "../seed.ts";
import { budgetRemaining, priceSweep, refusalOf } from "../sweeps/price.ts";
import {
  type ActingKey,
  countCells,
  insertSweep,
  listSweepRows,
  markCancelled,
  markResumed,
  readCells,
  readSweep,
  type SweepRow,
} from "../sweeps/store.ts";
import { submitCells } from "../sweeps/submit-cells.ts";
import { SWEEP_DRIVER_NAME } from "../sweeps/sweep-driver.ts";
import { sweepSummaryOf, sweepViewOf } from "../sweeps/view.ts";
import { onOperation } from "./operation.ts";
import { invalid, linksOf, scopeOf } from "./runs.ts";

/** A sweep id as `createSweep` makes them; anything else is a 404 without a query. */
const SWEEP_ID_PATTERN = /^sweep_[0-9a-f]{32}$/;
const MAX_LISTED_SWEEPS = 50;

function notFound(id: string): SdgateError {
  return new SdgateError("not_found", `No sweep '${id.slice(0, 80)}' for this team.`, { param: "id" });
}

/** The route's sweep, if the caller's team (or, without one, the key) owns it; 404 otherwise. */
async function sweepOf(c: Context<AppEnv>): Promise<SweepRow> {
  await authorize(c, { cost: null });
  const id = c.req.param("id") ?? "";
  if (!SWEEP_ID_PATTERN.test(id)) throw notFound(id);
  const row = await readSweep(c.var.config.db, await scopeOf(c), id);
  if (row === null) throw notFound(id);
  return row;
}

/** The key of this request, as the driver will act as it (`actAsSweepKey`) for the sweep's waiting cells. */
function actingKeyOf(c: Context<AppEnv>): ActingKey {
  return {
    acting_key_hash: c.var.pendingKey.hashHex,
    acting_ip: clientIpOf(c),
    acting_origin: new URL(c.req.url).origin,
  };
}

/** Submits what the key's limits admit now; the driver's object takes the cells left waiting within seconds. */
async function submitNow(c: Context<AppEnv>, sweepId: string, experiment: string | null): Promise<void> {
  const turn = await submitCells(c, sweepId, experiment);
  if (turn.waiting) inBackground(c, c.var.config.sweeps.driver.getByName(SWEEP_DRIVER_NAME).wake());
}

async function viewOf(c: Context<AppEnv>, row: SweepRow): Promise<Sweep> {
  const fresh = (await readSweep(c.var.config.db, await scopeOf(c), row.id)) ?? row;
  return sweepViewOf(fresh, await readCells(c.var.config.db, row.id), linksOf(c));
}

/**
 * The sweep routes: `POST /v1/sweeps` (expand, price, refuse past the budget or `max_credits`, then
 * store and submit every cell as an async job until the key's limits refuse one; the sweep driver
 * submits the rest, `sweeps/driver.ts`), `GET /v1/sweeps` and `/v1/sweeps/{id}` (cells with
 * their status, job, run and images), `POST /v1/sweeps/{id}/resume` and `/cancel`. A sweep belongs
 * to the key's team: any key of the team sees and resumes it (the driver then acts as that key),
 * another team's is a 404.
 */
export function registerSweeps(app: Hono<AppEnv>): void {
  onOperation(app, "createSweep", keyAuth("createSweep", { deferred: true }), async (c) => {
    // The key and its scope first: a key that may not generate hears 403 whatever its body.
    await authorize(c, { cost: null });
    const parsed = sweepBodySchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw invalid(parsed.error);
    const body = parsed.data;
    const header = c.req.header(EXPERIMENT_HEADER);
    const experiment = experimentHeader(header ?? body.experiment);
    // One seed for the whole grid unless an axis or the base names one: cells differ only by their axes.
    const base = { ...body.request, seed: body.request.seed ?? randomSeed() };
    const cells = expandSweep(base, body.axes);
    if (!cells.ok)
      throw new SdgateError("invalid_request", cells.error.message, { param: cells.error.param });
    const price = await priceSweep(c, body.axes, cells.value);
    const remaining = await budgetRemaining(c);
    const refusal = refusalOf(price, remaining, body.max_credits ?? null);
    if (body.dry_run === true) {
      const estimate: SweepEstimate = {
        object: "sweep.estimate",
        price,
        budget_remaining: remaining,
        max_credits: body.max_credits ?? null,
        refusal: refusal?.message ?? null,
      };
      return c.json(estimate, 200);
    }
    if (refusal !== null) throw refusal;
    const scope = await scopeOf(c);
    const id = `sweep_${crypto.randomUUID().replaceAll("-", "")}`;
    const row = {
      id,
      key_id: c.var.apiKey.id,
      team_id: "teamId" in scope ? scope.teamId : null,
      name: body.name || body.axes.map((axis) => axis.field).join(" × "),
      created_at: new Date().toISOString(),
      request: JSON.stringify(base),
      axes: JSON.stringify(body.axes),
      experiment,
      cells: price.cells,
      credits: price.credits,
      gpu_seconds: price.gpu_seconds,
      ...actingKeyOf(c),
    };
    await insertSweep(c.var.config.db, row, scope, cells.value);
    await submitNow(c, id, experiment);
    const stored = { ...row, owner: "", cancelled_at: null, driven_at: null, finished_at: null };
    return c.json(await viewOf(c, stored), 201, {
      Location: `/v1/sweeps/${id}`,
    });
  });

  onOperation(app, "listSweeps", keyAuth("listSweeps", { deferred: true }), async (c) => {
    await authorize(c, { cost: null });
    const rows = await listSweepRows(c.var.config.db, await scopeOf(c), MAX_LISTED_SWEEPS);
    const counts = await countCells(
      c.var.config.db,
      rows.map((row) => row.id),
    );
    const list: SweepList = {
      object: "list",
      data: rows.map((row) => sweepSummaryOf(row, counts.get(row.id) ?? [])),
    };
    return c.json(list);
  });

  onOperation(app, "getSweep", keyAuth("getSweep", { deferred: true }), async (c) =>
    c.json(await viewOf(c, await sweepOf(c))),
  );

  onOperation(app, "resumeSweep", keyAuth("resumeSweep", { deferred: true }), async (c) => {
    const row = await sweepOf(c);
    await markResumed(c.var.config.db, row.id, actingKeyOf(c));
    await submitNow(c, row.id, row.experiment);
    return c.json(await viewOf(c, row));
  });

  onOperation(app, "cancelSweep", keyAuth("cancelSweep", { deferred: true }), async (c) => {
    const row = await sweepOf(c);
    const { db, jobs } = c.var.config;
    await markCancelled(db, row.id, row.cancelled_at ?? new Date().toISOString());
    const running = (await readCells(db, row.id)).filter(
      (cell) => cell.state === "submitted" && cell.run === null && cell.job_id !== null,
    );
    // Each job answers to the key that submitted it; its run is recorded as it ends.
    const cancelled = new Set<number>();
    await Promise.all(
      running.map(async (cell) => {
        const view = await jobs.namespace.getByName(cell.job_id ?? "").cancel(cell.job_key_id ?? "");
        if (view?.status === "cancelled") cancelled.add(cell.idx);
      }),
    );
    const sweep = await viewOf(c, row);
    // A job's run is written as it ends, a moment after its object answered: say what the object said.
    for (const cell of sweep.cells)
      if (cancelled.has(cell.index) && cell.status === "running") {
        cell.status = "cancelled";
        sweep.totals.running -= 1;
        sweep.totals.cancelled += 1;
      }
    return c.json(sweep);
  });
}
