import {
  type ModelVersion,
  type RegisterVersionBody,
  type Result,
  registerVersionBodySchema,
  versionNumber,
} from "@sdgate/shared";
import { getModel } from "./models.ts";
import {
  allOf,
  type Change,
  firstOf,
  invalid,
  notFound,
  type Problem,
  VERSION_COLUMNS,
  type VersionRow,
  versionFromRow,
} from "./records.ts";

/** A model's versions, oldest first. */
export async function listVersions(db: D1Database, modelId: string): Promise<ModelVersion[]> {
  return allOf(
    db
      .prepare(`SELECT ${VERSION_COLUMNS} FROM model_versions WHERE model_id = ? ORDER BY version`)
      .bind(modelId),
    versionFromRow,
  );
}

/** One version by its label (`v3`); `null` when the model has no such version. */
export async function getVersion(
  db: D1Database,
  modelId: string,
  version: string,
): Promise<ModelVersion | null> {
  const number = versionNumber(version);
  if (number === null) return null;
  return firstOf(
    db
      .prepare(`SELECT ${VERSION_COLUMNS} FROM model_versions WHERE model_id = ? AND version = ?`)
      .bind(modelId, number),
    versionFromRow,
  );
}

async function versionWithDigest(db: D1Database, modelId: string, digest: string) {
  return firstOf(
    db
      .prepare(`SELECT ${VERSION_COLUMNS} FROM model_versions WHERE model_id = ? AND digest = ?`)
      .bind(modelId, digest),
    versionFromRow,
  );
}

/** Concurrent registrations may race for one number; each retry takes the next. */
const REGISTER_ATTEMPTS = 3;

export type RegisterVersionProblem = Problem<
  "invalid" | "not_found" | "duplicate_digest" | "licence_not_accepted"
>;

/**
 * Registers the next version of a model (v1, v2, … in order). The person registering accepts the
 * licence's terms for the platform (`licence.accepted` must be true), and is recorded as having done so.
 * Files a model already holds (same digest) are refused, naming the version that has them. There is no
 * way to change a version afterwards (the table's triggers refuse it too).
 *
 * @example
 * const registered = await registerVersion(env.DB, "sd15", body, actor);
 * if (registered.ok) audit("model.version.register", registered.value); // after.version: "v3"
 */
export async function registerVersion(
  db: D1Database,
  modelId: string,
  body: RegisterVersionBody,
  actor: string,
  now: Date = new Date(),
): Promise<Result<Change<ModelVersion> & { after: ModelVersion }, RegisterVersionProblem>> {
  const parsed = registerVersionBodySchema.safeParse(body);
  if (!parsed.success) return { ok: false, error: invalid(parsed.error) };
  const { digest, source, engine_version, licence, card } = parsed.data;
  if (!licence.accepted)
    return {
      ok: false,
      error: {
        code: "licence_not_accepted",
        licence: licence.id,
        message: `The licence ${licence.id} must be accepted to register a version of '${modelId}'.`,
      },
    };
  if (!(await getModel(db, modelId))) return { ok: false, error: notFound(modelId, "Model") };
  const at = now.toISOString();
  for (let attempt = 0; attempt < REGISTER_ATTEMPTS; attempt++) {
    // The number is taken in the insert itself; a digest or number already there inserts nothing.
    const row = await db
      .prepare(
        `INSERT INTO model_versions (${VERSION_COLUMNS})
         SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?6, ?7
         FROM model_versions WHERE model_id = ?1
         ON CONFLICT DO NOTHING RETURNING ${VERSION_COLUMNS}`,
      )
      .bind(modelId, digest, JSON.stringify(source), engine_version, licence.id, actor, at, card)
      .first<VersionRow>();
    if (row) return { ok: true, value: { before: null, after: versionFromRow(row) } };
    const existing = await versionWithDigest(db, modelId, digest);
    if (existing)
      return {
        ok: false,
        error: {
          code: "duplicate_digest",
          version: existing.version,
          message: `Model '${modelId}' already holds these files as ${existing.version} (sha256 ${digest}).`,
        },
      };
  }
  throw new Error(
    `Registering a version of '${modelId}' lost ${REGISTER_ATTEMPTS} races for a version number.`,
  );
}
