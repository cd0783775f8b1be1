import type { PromptPolicy } from "@sdgate/shared";
import { CorruptPolicyRowError, policyFromRow } from "./row.ts";

/** How long this isolate trusts what it read: a changed policy or key team takes effect within it. */
export const POLICY_CACHE_TTL_MS = 30_000;
/** Entries per map; the oldest goes first past it. */
const MAX_ENTRIES = 10_000;

interface Caches {
  /** A key's team (`null`: none), by key id. */
  teams: Map<string, { teamId: string | null; untilMs: number }>;
  /** A team's policy (`null`: none) and the models it is granted (`null`: every model), by team id. */
  policies: Map<string, { policy: PromptPolicy | null; grants: string[] | null; untilMs: number }>;
}

// Per D1 binding, as keys/lookup.ts does per KV namespace, so test workers with their own D1 share nothing.
const caches = new WeakMap<D1Database, Caches>();

function cachesOf(db: D1Database): Caches {
  let known = caches.get(db);
  if (!known) {
    known = { teams: new Map(), policies: new Map() };
    caches.set(db, known);
  }
  return known;
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_ENTRIES) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
}

/** Drops this isolate's copy of a team's policy and grants (after they were set or removed here). */
export function forgetTeamPolicy(db: D1Database, teamId: string): void {
  caches.get(db)?.policies.delete(teamId);
}

interface JoinedRow {
  team_id: string | null;
  models: string | null;
  id: string | null;
  rules: string | null;
  record_prompt: number | null;
}

/** What binds a team key's requests: its team, the team's prompt policy and the models it is granted. */
export interface TeamRules {
  teamId: string;
  policy: PromptPolicy | null;
  /** The model references the team may use (`sd15`, `sd15@production`, `sd15@v3`); `null`: every model. */
  grants: string[] | null;
}

function grantsFrom(text: string | null): string[] | null {
  if (text === null) return null;
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed) || !parsed.every((entry) => typeof entry === "string"))
    throw new CorruptPolicyRowError("A team's model grants are malformed in D1.");
  return parsed;
}

/**
 * The rules that bind a key's requests: its team's, or `null` for a key without a team. One D1 read
 * (the key's team, that team's grants and policy together) per key per {@link POLICY_CACHE_TTL_MS},
 * none in between; a key whose team is known and whose team's rules are cached costs nothing.
 *
 * @example
 * const team = await teamRulesForKey(config.db, apiKey.id);
 * if (team?.policy) checkPromptPolicy(team.policy, request);
 */
export async function teamRulesForKey(
  db: D1Database,
  keyId: string,
  nowMs: number = Date.now(),
): Promise<TeamRules | null> {
  const { teams, policies } = cachesOf(db);
  const team = teams.get(keyId);
  if (team !== undefined && team.untilMs > nowMs) {
    if (team.teamId === null) return null;
    const known = policies.get(team.teamId);
    if (known !== undefined && known.untilMs > nowMs)
      return { teamId: team.teamId, policy: known.policy, grants: known.grants };
  }
  const row = await db
    .prepare(
      `SELECT k.team_id, t.models, p.id, p.rules, p.record_prompt FROM api_keys k
       LEFT JOIN teams t ON t.id = k.team_id
       LEFT JOIN prompt_policies p ON p.team_id = k.team_id WHERE k.id = ?`,
    )
    .bind(keyId)
    .first<JoinedRow>();
  const teamId = row?.team_id ?? null;
  const untilMs = nowMs + POLICY_CACHE_TTL_MS;
  remember(teams, keyId, { teamId, untilMs });
  if (teamId === null) return null;
  const policy =
    row?.id == null || row.rules === null
      ? null
      : policyFromRow({
          id: row.id,
          team_id: teamId,
          rules: row.rules,
          record_prompt: row.record_prompt ?? 0,
        });
  const grants = grantsFrom(row?.models ?? null);
  remember(policies, teamId, { policy, grants, untilMs });
  return { teamId, policy, grants };
}

/**
 * The prompt policy that binds a key's requests: its team's, or `null` for a key without a team or
 * a team without a policy (see {@link teamRulesForKey}).
 */
export async function policyForKey(
  db: D1Database,
  keyId: string,
  nowMs: number = Date.now(),
): Promise<PromptPolicy | null> {
  return (await teamRulesForKey(db, keyId, nowMs))?.policy ?? null;
}
