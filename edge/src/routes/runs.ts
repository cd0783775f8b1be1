import {
  type ExperimentList,
  type Run,
  type RunList,
  runListQuerySchema,
  runNotesBodySchema,
  SdgateError,
} from "@sdgate/shared";
import type { Context, Hono } from "hono";
import type { z } from "zod";
import type { AppEnv } from "../hono-env.ts";
import { keyAuth } from "../keys/authorize.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { teamRulesForKey } from "../policies/cache.ts";
import { inputsOf, type LinkSigner, runRecordOf } from "../runs/image-links.ts";
import {
  annotateRun,
  listExperiments,
  listRuns,
  type RunScope,
  readRuns,
  type StoredRun,
} from "../runs/store.ts";
import { onOperation } from "./operation.ts";

/** A run as the API shows it, its images and inputs linked (signed, expiring) where the edge signs links. */
export async function viewOf(row: StoredRun, links: LinkSigner | null): Promise<Run> {
  return {
    object: "run",
    ...(await runRecordOf(row, links)),
    inputs: await inputsOf(row, links),
    key_id: row.key_id,
    person: row.person,
    person_name: row.person_name,
    key_name: row.key_name,
    team_id: row.team_id,
    cost: row.cost,
    latency_ms: row.latency_ms,
    backend: row.backend,
    error_code: row.error_code,
    experiment: row.experiment,
    engine_version: row.engine_version,
    timings_ms: row.timings_ms === null ? null : (JSON.parse(row.timings_ms) as Record<string, number>),
    notes: row.notes,
    tags: JSON.parse(row.tags) as string[],
    rating: row.rating,
  };
}

/**
 * `GET /v1/runs`: the run history a key sees: its team's runs (every key of the team, the Studio's
 * included), or its own when it has no team; newest first, filtered by experiment, person, key, status, model and prompt text.
 */
export function registerRuns(app: Hono<AppEnv>): void {
  onOperation(app, "listRuns", keyAuth("listRuns"), async (c) => {
    await admitRequestOnly(c);
    const parsed = runListQuerySchema.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error);
    const { rows, nextBefore } = await listRuns(c.var.config.db, await scopeOf(c), parsed.data);
    const links = linksOf(c);
    const list: RunList = {
      object: "list",
      data: await Promise.all(rows.map((row) => viewOf(row, links))),
      next_before: nextBefore,
    };
    return c.json(list);
  });

  onOperation(app, "getRun", keyAuth("getRun"), async (c) => {
    await admitRequestOnly(c);
    const id = c.req.param("id") ?? "";
    const [run] = await readRuns(c.var.config.db, await scopeOf(c), [id]);
    if (run === undefined) throw noSuchRun(id);
    return c.json(await viewOf(run, linksOf(c)));
  });

  onOperation(app, "annotateRun", keyAuth("annotateRun"), async (c) => {
    await admitRequestOnly(c);
    const parsed = runNotesBodySchema.safeParse(await c.req.json().catch(() => null));
    if (!parsed.success) throw invalid(parsed.error);
    const id = c.req.param("id") ?? "";
    const run = await annotateRun(c.var.config.db, await scopeOf(c), id, parsed.data);
    if (run === null) throw noSuchRun(id);
    return c.json(await viewOf(run, linksOf(c)));
  });

  onOperation(app, "listExperiments", keyAuth("listExperiments"), async (c) => {
    await admitRequestOnly(c);
    const experiments = await listExperiments(c.var.config.db, await scopeOf(c));
    const list: ExperimentList = {
      object: "list",
      data: experiments.map((experiment) => ({ object: "experiment", ...experiment })),
    };
    return c.json(list);
  });
}

/** The 404 for a run that is not in the key's history (someone else's is no different). */
function noSuchRun(id: string): SdgateError {
  return new SdgateError("not_found", `No run '${id.slice(0, 80)}' in this history.`, { param: "id" });
}

/** The history a key sees: its team's, or its own. */
export async function scopeOf(c: Context<AppEnv>): Promise<RunScope> {
  const keyId = c.var.apiKey.id;
  const team = await teamRulesForKey(c.var.config.db, keyId);
  return team ? { teamId: team.teamId } : { keyId };
}

/** How the answer signs image links: `null` where the edge has no URL signing key. */
export function linksOf(c: Context<AppEnv>): LinkSigner | null {
  const secret = c.var.config.urlSigningKey;
  return secret === null ? null : { secret, origin: new URL(c.req.url).origin };
}

/** A 400 naming the first field zod refused. */
export function invalid(error: z.ZodError): SdgateError {
  const issue = error.issues[0];
  const param = issue?.path.join(".") || null;
  return new SdgateError("invalid_request", `Invalid '${param ?? "body"}': ${issue?.message ?? "invalid"}.`, {
    param,
  });
}
