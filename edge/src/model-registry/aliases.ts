import {
  type Alias,
  type AliasMove,
  formatModelRef,
  type ModelRef,
  type ModelVersion,
  parseModelRef,
  type Result,
} from "@sdgate/shared";
import { getModel } from "./models.ts";
import {
  ALIAS_COLUMNS,
  type AliasRow,
  aliasFromRow,
  allOf,
  type Change,
  firstInBatch,
  firstOf,
  MOVE_COLUMNS,
  moveFromRow,
  notFound,
  type Problem,
  VERSION_COLUMNS,
  type VersionRow,
  versionFromRow,
} from "./records.ts";
import { getVersion } from "./versions.ts";

export async function getAlias(db: D1Database, modelId: string, name: string): Promise<Alias | null> {
  return firstOf(
    db
      .prepare(`SELECT ${ALIAS_COLUMNS} FROM model_aliases WHERE model_id = ? AND name = ?`)
      .bind(modelId, name),
    aliasFromRow,
  );
}

/** A model's aliases, by name. */
export async function listAliases(db: D1Database, modelId: string): Promise<Alias[]> {
  return allOf(
    db.prepare(`SELECT ${ALIAS_COLUMNS} FROM model_aliases WHERE model_id = ? ORDER BY name`).bind(modelId),
    aliasFromRow,
  );
}

/** Every move of one alias, oldest first. */
export async function aliasHistory(db: D1Database, modelId: string, name: string): Promise<AliasMove[]> {
  return allOf(
    db
      .prepare(`SELECT ${MOVE_COLUMNS} FROM alias_history WHERE model_id = ? AND name = ? ORDER BY revision`)
      .bind(modelId, name),
    moveFromRow,
  );
}

/**
 * Points a new alias at a model's first version without a promotion request: only for a model that
 * has exactly one version and no such alias yet, and only when the caller says so (`npm start`
 * registering the tiny model as `production`). The move is in the history with reason `bootstrap`.
 * Every other move goes through an approved promotion request.
 *
 * @example
 * await bootstrapAlias(env.DB, "tiny", "production", "system", { bootstrap: true });
 */
export async function bootstrapAlias(
  db: D1Database,
  modelId: string,
  name: string,
  actor: string,
  _explicitly: { bootstrap: true },
  now: Date = new Date(),
): Promise<Result<Change<Alias> & { after: Alias }, Problem<"not_found" | "alias_exists" | "invalid">>> {
  const at = now.toISOString();
  // Each statement re-checks that v1 is the model's only version, so a second one registered
  // meanwhile leaves the alias alone.
  const onlyFirst = "(SELECT COUNT(*) FROM model_versions WHERE model_id = ?1) = 1";
  const [inserted] = await db.batch([
    db
      .prepare(
        `INSERT INTO model_aliases (${ALIAS_COLUMNS}) SELECT ?1, ?2, 1, 1, ?3, ?4, NULL
         WHERE ${onlyFirst} ON CONFLICT DO NOTHING RETURNING ${ALIAS_COLUMNS}`,
      )
      .bind(modelId, name, at, actor),
    db
      .prepare(
        `INSERT INTO alias_history (${MOVE_COLUMNS})
         SELECT model_id, name, NULL, version, revision, updated_at, updated_by, NULL, 'bootstrap'
         FROM model_aliases WHERE model_id = ?1 AND name = ?2 AND revision = 1 AND promotion_id IS NULL
           AND updated_at = ?3 AND updated_by = ?4
         ON CONFLICT DO NOTHING`,
      )
      .bind(modelId, name, at, actor),
  ]);
  const row = firstInBatch<AliasRow>(inserted);
  if (row) return { ok: true, value: { before: null, after: aliasFromRow(row) } };
  const existing = await getAlias(db, modelId, name);
  if (existing)
    return {
      ok: false,
      error: {
        code: "alias_exists",
        message: `Model '${modelId}' already has the alias '${name}'; promote instead.`,
      },
    };
  if (!(await getModel(db, modelId))) return { ok: false, error: notFound(modelId, "Model") };
  return {
    ok: false,
    error: {
      code: "invalid",
      message: `Only a model with exactly one version can be bootstrapped; '${modelId}' needs a promotion request.`,
    },
  };
}

export interface Resolved {
  ref: ModelRef;
  version: ModelVersion;
  /** The alias the reference named; `null` for a pinned version. */
  alias: Alias | null;
}

/**
 * What a reference (`sd15`, `sd15@staging`, `sd15@v3`) serves now: the version record, and the alias
 * that led there. An unknown model, alias or version is `not_found` naming the reference.
 *
 * @example
 * const resolved = await resolveRef(env.DB, request.model);
 * if (resolved.ok) route(resolved.value.version.digest);
 */
export async function resolveRef(
  db: D1Database,
  ref: string | ModelRef,
): Promise<Result<Resolved, Problem<"invalid" | "not_found">>> {
  let parsed: ModelRef;
  if (typeof ref === "string") {
    const read = parseModelRef(ref);
    if (!read.ok) return { ok: false, error: { code: "invalid", message: read.error.message } };
    parsed = read.value;
  } else parsed = ref;
  const named = formatModelRef(parsed);
  if ("version" in parsed) {
    const version = await getVersion(db, parsed.model, parsed.version);
    return version
      ? { ok: true, value: { ref: parsed, version, alias: null } }
      : { ok: false, error: notFound(named) };
  }
  const [aliasRows, versionRows] = await db.batch([
    db
      .prepare(`SELECT ${ALIAS_COLUMNS} FROM model_aliases WHERE model_id = ? AND name = ?`)
      .bind(parsed.model, parsed.alias),
    db
      .prepare(
        `SELECT ${VERSION_COLUMNS} FROM model_versions WHERE (model_id, version) =
         (SELECT model_id, version FROM model_aliases WHERE model_id = ? AND name = ?)`,
      )
      .bind(parsed.model, parsed.alias),
  ]);
  const alias = firstInBatch<AliasRow>(aliasRows);
  const version = firstInBatch<VersionRow>(versionRows);
  if (!alias || !version) return { ok: false, error: notFound(named) };
  return { ok: true, value: { ref: parsed, version: versionFromRow(version), alias: aliasFromRow(alias) } };
}
