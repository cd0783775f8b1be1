import { env } from "cloudflare:workers";
import type { KeyLimits } from "@sdgate/shared";
import { configFor } from "../env.ts";
import { type CreatedKey, createKey } from "../keys/testing.ts";
import { assignKeyTeam, type TeamBudgetSettings } from "./index.ts";
import { setTeamBudget } from "./service.ts";

/** The edge's config for the test worker's env. */
export const budgetConfig = () => configFor(env);

/** A new team in D1 with a name no other test uses; answers its id and name. */
export async function createTeam(label = "budget"): Promise<{ id: string; name: string }> {
  const id = `team_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const name = `${label}-${id.slice(5, 13)}`;
  await env.DB.prepare("INSERT INTO teams (id, name, created_at) VALUES (?, ?, ?)")
    .bind(id, name, new Date().toISOString())
    .run();
  return { id, name };
}

/** A team with a monthly budget (no alert URL unless given). */
export async function teamWithBudget(
  settings: Partial<TeamBudgetSettings> & { monthly_credits: number | null },
) {
  const team = await createTeam();
  await setTeamBudget(budgetConfig(), team.id, { soft_percent: 80, alert_webhook_url: null, ...settings });
  return team;
}

/**
 * A key made through `POST /admin/keys` and put in `teamId`: `api_keys.team_id` in D1 and, unless
 * `tell` is false (the key's object then reads D1 at its first generation), its Durable Object told.
 */
export async function keyOfTeam(
  teamId: string,
  limits: Partial<KeyLimits> = {},
  options: { tell?: boolean } = {},
): Promise<CreatedKey> {
  const key = await createKey({
    limits: { requests_per_minute: 100_000, concurrency: 1_000, credits: null, ...limits },
  });
  await env.DB.prepare("UPDATE api_keys SET team_id = ? WHERE id = ?").bind(teamId, key.id).run();
  if (options.tell !== false) await assignKeyTeam(budgetConfig(), key.id, teamId);
  return key;
}
