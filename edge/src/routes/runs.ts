import { type OutputFormat, type Run, type RunList, runListQuerySchema, SdgateError } from "@sdgate/shared";
import type { Hono } from "hono";
import { IMAGE_URL_TTL_S, signedImagePath } from "../cache/signed-url.ts";
import type { AppEnv } from "../hono-env.ts";
import { keyAuth } from "../keys/authorize.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { teamRulesForKey } from "../policies/cache.ts";
import { listRuns, type RunRow } from "../runs/store.ts";
import { onOperation } from "./operation.ts";

/** A run as the API shows it, its images linked (signed, expiring) where the edge signs links. */
async function viewOf(row: RunRow, links: { secret: string; origin: string } | null): Promise<Run> {
  const seeds = JSON.parse(row.seeds) as number[];
  const expiresS = Math.floor(Date.now() / 1000) + IMAGE_URL_TTL_S;
  const images = await Promise.all(
    seeds.map(async (seed, index) => {
      if (links === null || row.status !== "succeeded" || row.tenant_tag === null || row.cache_key === null)
        return { seed, url: null };
      const id = {
        tenantTag: row.tenant_tag,
        cacheKey: row.cache_key,
        index,
        format: row.output_format as OutputFormat,
      };
      return { seed, url: `${links.origin}${await signedImagePath(links.secret, id, expiresS)}` };
    }),
  );
  return {
    object: "run",
    id: row.id,
    key_id: row.key_id,
    team_id: row.team_id,
    created_at: row.created_at,
    status: row.status,
    model: row.model,
    model_version: row.model_version,
    prompt: row.prompt,
    negative_prompt: row.negative_prompt,
    request: JSON.parse(row.request) as Record<string, unknown>,
    cost: row.cost,
    latency_ms: row.latency_ms,
    backend: row.backend,
    error_code: row.error_code,
    images,
  };
}

/**
 * `GET /v1/runs`: the run history a key sees: its team's runs (every key of the team, the Studio's
 * included), or its own when it has no team; newest first, filtered by status, model and prompt text.
 */
export function registerRuns(app: Hono<AppEnv>): void {
  onOperation(app, "listRuns", keyAuth("listRuns"), async (c) => {
    await admitRequestOnly(c);
    const parsed = runListQuerySchema.safeParse(c.req.query());
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const param = issue?.path.join(".") || null;
      throw new SdgateError(
        "invalid_request",
        `Invalid '${param ?? "query"}': ${issue?.message ?? "invalid"}.`,
        {
          param,
        },
      );
    }
    const { db, urlSigningKey } = c.var.config;
    const keyId = c.var.apiKey.id;
    const team = await teamRulesForKey(db, keyId);
    const { rows, nextBefore } = await listRuns(db, team ? { teamId: team.teamId } : { keyId }, parsed.data);
    const links =
      urlSigningKey === null ? null : { secret: urlSigningKey, origin: new URL(c.req.url).origin };
    const list: RunList = {
      object: "list",
      data: await Promise.all(rows.map((row) => viewOf(row, links))),
      next_before: nextBefore,
    };
    return c.json(list);
  });
}
