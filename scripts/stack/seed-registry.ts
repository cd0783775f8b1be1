import { ENGINE_VERSION } from "@sdgate/shared";

/** A model folder the local stack serves, as the registry will know it. */
export interface LocalModel {
  id: string;
  /** The folder's registry digest (backend/src/model-digest.ts), as its backends will report it. */
  digest: string;
  description: string;
  /** The export folder on this machine. */
  path: string;
}

/** A LoRA or ControlNet the local stack serves, as the adapter registry will know it. */
export interface LocalAdapter {
  kind: "lora" | "controlnet";
  name: string;
  /** A LoRA's file SHA-256 or a ControlNet folder's digest, as the backends report it. */
  digest: string;
  /** Model ids. */
  appliesTo: readonly string[];
  description: string;
}

/** Who the local stack's registry rows name: not a person, and never the same actor twice. */
export const LOCAL_REGISTRAR = "system:npm-start";
export const LOCAL_APPROVER = "system:local-stack";

const sql = (text: string) => `'${text.replaceAll("'", "''")}'`;

/**
 * SQL that makes the registry serve the local stack's models (issue 16: "`npm start` registers the
 * built-in tiny model as an approved production version"), run against the local D1 on each start:
 * - the model and a version for the folder's digest, when the registry has neither (a rebuilt folder,
 *   new digest, is the next version; the old ones stay, as versions always do);
 * - a `production` alias at that version: a new alias is a `bootstrap` move; an alias at another
 *   version (the model was rebuilt since the last start) moves through a promotion request that
 *   npm start files and the local stack approves, recorded as such. Local development only: a
 *   deployed registry moves `production` only when a person approves (`sdgate registry approve`).
 * Idempotent: a second run with the same digests changes nothing.
 *
 * @example
 * await d1Execute(registrySeedSql([{ id: "tiny", digest, description: "…", path }], new Date()));
 */
export function registrySeedSql(models: readonly LocalModel[], now: Date): string {
  const at = sql(now.toISOString());
  return models
    .map(({ id, digest, description, path }) => {
      const [m, d] = [sql(id), sql(digest)];
      const version = `(SELECT version FROM model_versions WHERE model_id = ${m} AND digest = ${d})`;
      const source = sql(JSON.stringify({ kind: "export", path }));
      const moved = `model_id = ${m} AND name = 'production'`;
      return [
        `INSERT OR IGNORE INTO models (id, description, created_at, created_by) VALUES (${m}, ${sql(description)}, ${at}, '${LOCAL_REGISTRAR}');`,
        `INSERT OR IGNORE INTO model_versions (model_id, version, digest, source, engine_version, licence_id, licence_accepted_by, licence_accepted_at, card, registered_by, registered_at)
           SELECT ${m}, COALESCE(MAX(version), 0) + 1, ${d}, ${source}, ${sql(ENGINE_VERSION)}, 'CreativeML-OpenRAIL-M', '${LOCAL_REGISTRAR}', ${at}, ${sql(`Built by npm start from ${path}.`)}, '${LOCAL_REGISTRAR}', ${at}
           FROM model_versions WHERE model_id = ${m};`,
        // A new alias: its bootstrap.
        `INSERT OR IGNORE INTO model_aliases (model_id, name, version, revision, updated_at, updated_by, promotion_id)
           VALUES (${m}, 'production', ${version}, 1, ${at}, '${LOCAL_REGISTRAR}', NULL);`,
        `INSERT OR IGNORE INTO alias_history (model_id, name, from_version, to_version, revision, moved_at, moved_by, promotion_id, reason)
           SELECT model_id, name, NULL, version, 1, updated_at, updated_by, NULL, 'bootstrap' FROM model_aliases
           WHERE ${moved} AND revision = 1 AND promotion_id IS NULL;`,
        // An alias at another version: a promotion, filed and approved by two local actors.
        `INSERT INTO promotion_requests (id, model_id, alias, from_version, to_version, requested_by, requested_at, comment, evidence, status, decided_by, decided_at, decision_comment)
           SELECT 'prm_' || lower(hex(randomblob(8))), model_id, name, version, ${version}, '${LOCAL_REGISTRAR}', ${at},
             'npm start rebuilt the model''s files', '[]', 'approved', '${LOCAL_APPROVER}', ${at}, 'local development: approved by the local stack'
           FROM model_aliases WHERE ${moved} AND version <> ${version};`,
        `UPDATE model_aliases SET version = ${version}, revision = revision + 1, updated_at = ${at}, updated_by = '${LOCAL_APPROVER}',
           promotion_id = (SELECT id FROM promotion_requests WHERE model_id = ${m} AND alias = 'production' AND requested_at = ${at} AND requested_by = '${LOCAL_REGISTRAR}')
           WHERE ${moved} AND version <> ${version};`,
        `INSERT INTO alias_history (model_id, name, from_version, to_version, revision, moved_at, moved_by, promotion_id, reason)
           SELECT a.model_id, a.name, p.from_version, a.version, a.revision, a.updated_at, a.updated_by, a.promotion_id,
             CASE WHEN a.version > p.from_version THEN 'promotion' ELSE 'rollback' END
           FROM model_aliases a JOIN promotion_requests p ON p.id = a.promotion_id
           WHERE a.model_id = ${m} AND a.name = 'production' AND a.updated_at = ${at} AND a.updated_by = '${LOCAL_APPROVER}';`,
      ].join("\n");
    })
    .join("\n");
}

/**
 * SQL that registers the local stack's adapters and approves them, as `registrySeedSql` does a
 * model's promotion: registered by npm start, approved by the local stack, two different actors, so
 * the table's rule (no one approves what they registered) holds. Local development only; a name is
 * never reused, so a row that is already there stays as it is (a rebuilt file needs a new name).
 */
export function adapterSeedSql(adapters: readonly LocalAdapter[], now: Date): string {
  const at = sql(now.toISOString());
  return adapters
    .map(
      ({ kind, name, digest, appliesTo, description }) =>
        `INSERT OR IGNORE INTO adapters (kind, name, digest, applies_to, description, source_uri, status, registered_by, registered_at, approved_by, approved_at, comment)
           VALUES (${[kind, name, digest, JSON.stringify(appliesTo), description, ""].map(sql).join(", ")}, 'approved', '${LOCAL_REGISTRAR}', ${at}, '${LOCAL_APPROVER}', ${at}, 'local development: approved by the local stack');`,
    )
    .join("\n");
}
