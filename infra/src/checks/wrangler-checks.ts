import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** The bindings the edge's env schema requires (edge/src/env.ts), by kind. */
export const REQUIRED_BINDINGS = {
  kv: ["API_KEYS"],
  d1: ["DB"],
  r2: ["IMAGES"],
  durableObjects: {
    KEY_STATE: "KeyState",
    AUDIT_LOG: "AuditLog",
    GENERATION_COALESCER: "GenerationCoalescer",
    BACKEND_HEALTH: "BackendHealth",
    GENERATION_JOB: "GenerationJob",
    AUTH_FAILURES: "AuthFailures",
    TEAM_BUDGET: "TeamBudget",
    CANARY_WATCH: "CanaryWatch",
    EVALUATION_RUN: "EvaluationRun",
    SWEEP_DRIVER: "SweepDriver",
  } as Record<string, string>,
};

type Table = Record<string, unknown>;
interface Migration {
  tag?: string;
  new_classes?: string[];
  new_sqlite_classes?: string[];
  renamed_classes?: { from: string; to: string }[];
  deleted_classes?: string[];
}

const list = (value: unknown): Table[] => (Array.isArray(value) ? (value as Table[]) : []);

/** One environment's (or the top level's) bindings against what the edge needs. */
function bindingProblems(scope: string, table: Table, repoRoot: string): string[] {
  const problems: string[] = [];
  const kv = list(table.kv_namespaces);
  for (const binding of REQUIRED_BINDINGS.kv) {
    const found = kv.find((k) => k.binding === binding);
    if (found === undefined || typeof found.id !== "string")
      problems.push(`${scope}: KV namespace ${binding} with an id`);
  }
  for (const binding of REQUIRED_BINDINGS.d1) {
    const found = list(table.d1_databases).find((d) => d.binding === binding);
    if (
      found === undefined ||
      typeof found.database_id !== "string" ||
      typeof found.database_name !== "string"
    ) {
      problems.push(`${scope}: D1 database ${binding} with a database_name and database_id`);
    } else if (
      typeof found.migrations_dir !== "string" ||
      !existsSync(join(repoRoot, found.migrations_dir))
    ) {
      problems.push(`${scope}: D1 database ${binding} needs a migrations_dir that exists`);
    }
  }
  for (const binding of REQUIRED_BINDINGS.r2) {
    if (!list(table.r2_buckets).some((r) => r.binding === binding && typeof r.bucket_name === "string")) {
      problems.push(`${scope}: R2 bucket ${binding}`);
    }
  }
  const durable = list((table.durable_objects as Table | undefined)?.bindings);
  for (const [name, className] of Object.entries(REQUIRED_BINDINGS.durableObjects)) {
    if (!durable.some((d) => d.name === name && d.class_name === className)) {
      problems.push(`${scope}: Durable Object binding ${name} → ${className}`);
    }
  }
  return problems;
}

/**
 * Replays the Durable Object migrations in order: tags unique, a class created once, renamed or
 * deleted only after it exists, and every bound class alive at the end.
 */
export function migrationProblems(migrations: Migration[], boundClasses: Iterable<string>): string[] {
  const problems: string[] = [];
  const live = new Set<string>();
  const tags = new Set<string>();
  migrations.forEach((m, index) => {
    const at = `migration ${index + 1} (${m.tag ?? "no tag"})`;
    if (m.tag === undefined || tags.has(m.tag)) problems.push(`${at}: needs a unique tag`);
    if (m.tag !== undefined) tags.add(m.tag);
    for (const name of [...(m.new_classes ?? []), ...(m.new_sqlite_classes ?? [])]) {
      if (live.has(name)) problems.push(`${at}: creates ${name}, which already exists`);
      live.add(name);
    }
    for (const { from, to } of m.renamed_classes ?? []) {
      if (!live.delete(from)) problems.push(`${at}: renames ${from} before it exists`);
      live.add(to);
    }
    for (const name of m.deleted_classes ?? []) {
      if (!live.delete(name)) problems.push(`${at}: deletes ${name} before it exists`);
    }
  });
  for (const name of boundClasses) {
    if (!live.has(name)) problems.push(`Durable Object class ${name} is bound but no migration creates it`);
  }
  return problems;
}

/** D1 migration files are applied in name order: 0001_…, 0002_…, with no gap or repeat. */
export function d1MigrationProblems(files: string[]): string[] {
  const numbers = files
    .filter((f) => f.endsWith(".sql"))
    .map((f) => Number(/^(\d{4})_/.exec(f)?.[1] ?? Number.NaN));
  return numbers.every((n, i) => n === i + 1) && numbers.length > 0
    ? []
    : [`D1 migrations must be numbered 0001_… onward without gaps: ${files.join(", ")}`];
}

/**
 * Cloudflare answers 524 when a proxied origin (a cluster's tunnel hostname) sends nothing for 100 s;
 * a synchronous backend attempt must end before that (the edge refuses more: edge/src/env.ts).
 */
export const CLOUDFLARE_ORIGIN_TIMEOUT_MS = 100_000;

function backendTimeoutProblem(scope: string, value: unknown): string | null {
  if (value === undefined) return `${scope}: vars are not inherited; set SDGATE_BACKEND_TIMEOUT_MS`;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms >= CLOUDFLARE_ORIGIN_TIMEOUT_MS)
    return `${scope}: SDGATE_BACKEND_TIMEOUT_MS must be under ${CLOUDFLARE_ORIGIN_TIMEOUT_MS} ms (Cloudflare's 524), not '${String(value)}'`;
  return null;
}

const CRON_FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

/**
 * The edge's wrangler config, parsed: what `wrangler deploy` needs for the edge to start (bindings,
 * ordered migrations, the health-probe cron) at the top level and in each listed environment.
 */
export function wranglerProblems(
  config: Table,
  options: { environments: string[]; repoRoot: string },
): string[] {
  const problems: string[] = [];
  for (const key of ["name", "main", "compatibility_date"]) {
    if (typeof config[key] !== "string") problems.push(`top level: ${key} is required`);
  }
  problems.push(...bindingProblems("top level", config, options.repoRoot));
  const topTimeout = (config.vars as Table | undefined)?.SDGATE_BACKEND_TIMEOUT_MS;
  if (topTimeout !== undefined) {
    const problem = backendTimeoutProblem("top level", topTimeout);
    if (problem !== null) problems.push(problem);
  }
  problems.push(
    ...migrationProblems(
      list(config.migrations) as Migration[],
      Object.values(REQUIRED_BINDINGS.durableObjects),
    ),
  );
  const d1 = list(config.d1_databases).find((d) => d.binding === "DB");
  if (typeof d1?.migrations_dir === "string" && existsSync(join(options.repoRoot, d1.migrations_dir))) {
    problems.push(...d1MigrationProblems(readdirSync(join(options.repoRoot, d1.migrations_dir)).sort()));
  }
  const crons = (config.triggers as Table | undefined)?.crons;
  if (!Array.isArray(crons) || crons.length === 0)
    problems.push("top level: [triggers] crons (active health probes)");
  else {
    for (const cron of crons as string[]) {
      const fields = String(cron).trim().split(/\s+/);
      if (fields.length !== 5 || !fields.every((f) => CRON_FIELD.test(f)))
        problems.push(`cron '${cron}' is not 5 fields`);
    }
  }
  const envs = (config.env ?? {}) as Record<string, Table>;
  const seen = new Map<string, string>();
  for (const name of options.environments) {
    const env = envs[name];
    if (env === undefined) {
      problems.push(`[env.${name}] is missing`);
      continue;
    }
    problems.push(...bindingProblems(`env.${name}`, env, options.repoRoot));
    const timeout = backendTimeoutProblem(
      `env.${name}`,
      (env.vars as Table | undefined)?.SDGATE_BACKEND_TIMEOUT_MS,
    );
    if (timeout !== null) problems.push(timeout);
    // Two environments on one database, namespace or bucket would share keys, audit log and images.
    const ids = [
      list(env.kv_namespaces).find((k) => k.binding === "API_KEYS")?.id,
      list(env.d1_databases).find((d) => d.binding === "DB")?.database_id,
      list(env.r2_buckets).find((r) => r.binding === "IMAGES")?.bucket_name,
    ];
    for (const id of ids) {
      if (typeof id !== "string") continue;
      const owner = seen.get(id);
      if (owner !== undefined) problems.push(`env.${name} shares '${id}' with ${owner}`);
      seen.set(id, `env.${name}`);
    }
  }
  return problems;
}
