import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { adapterSeedSql, LOCAL_APPROVER, LOCAL_REGISTRAR, registrySeedSql } from "./seed-registry.ts";

const MIGRATIONS = fileURLToPath(new URL("../../edge/migrations/", import.meta.url));

/** A SQLite database with the edge's migrations applied, as the local D1 has them. */
function localDatabase(): DatabaseSync {
  const db = new DatabaseSync(":memory:");
  db.exec("PRAGMA foreign_keys = ON;");
  for (const file of readdirSync(MIGRATIONS)
    .filter((name) => name.endsWith(".sql"))
    .sort())
    db.exec(readFileSync(join(MIGRATIONS, file), "utf8"));
  return db;
}

const tiny = (digest: string) => ({
  id: "tiny",
  digest,
  description: "the tiny model",
  path: "/models/tiny",
});
const production = (db: DatabaseSync) =>
  db
    .prepare(
      "SELECT version, revision, promotion_id FROM model_aliases WHERE model_id = 'tiny' AND name = 'production'",
    )
    .get();
const history = (db: DatabaseSync) =>
  db
    .prepare(
      "SELECT from_version, to_version, revision, reason FROM alias_history WHERE model_id = 'tiny' ORDER BY revision",
    )
    .all();

describe("npm start's registry seed", () => {
  it("registers the tiny model as an approved production version, once", () => {
    const db = localDatabase();
    const seed = registrySeedSql([tiny("a".repeat(64))], new Date("2026-12-06T10:00:00Z"));
    db.exec(seed);
    db.exec(seed);
    expect(production(db)).toEqual({ version: 1, revision: 1, promotion_id: null });
    expect(history(db)).toEqual([{ from_version: null, to_version: 1, revision: 1, reason: "bootstrap" }]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM model_versions").get()).toEqual({ n: 1 });
  });

  it("moves production to rebuilt files through an approved promotion, keeping the old version", () => {
    const db = localDatabase();
    db.exec(registrySeedSql([tiny("a".repeat(64))], new Date("2026-12-06T10:00:00Z")));
    db.exec(registrySeedSql([tiny("b".repeat(64))], new Date("2026-12-06T11:00:00Z")));
    const alias = production(db) as { version: number; revision: number; promotion_id: string };
    expect(alias).toMatchObject({ version: 2, revision: 2 });
    expect(
      db
        .prepare("SELECT status, requested_by, decided_by FROM promotion_requests WHERE id = ?")
        .get(alias.promotion_id),
    ).toEqual({
      status: "approved",
      requested_by: "system:npm-start",
      decided_by: LOCAL_APPROVER,
    });
    // Back to the first files: a rollback, one more move.
    db.exec(registrySeedSql([tiny("a".repeat(64))], new Date("2026-12-06T12:00:00Z")));
    expect(production(db)).toMatchObject({ version: 1, revision: 3 });
    expect(history(db)).toEqual([
      { from_version: null, to_version: 1, revision: 1, reason: "bootstrap" },
      { from_version: 1, to_version: 2, revision: 2, reason: "promotion" },
      { from_version: 2, to_version: 1, revision: 3, reason: "rollback" },
    ]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM model_versions").get()).toEqual({ n: 2 });
  });

  it("quotes names and paths it is given", () => {
    const db = localDatabase();
    db.exec(
      registrySeedSql([{ ...tiny("c".repeat(64)), id: "o-brien", path: "/models/o'brien" }], new Date()),
    );
    const row = db.prepare("SELECT source FROM model_versions WHERE model_id = 'o-brien'").get() as {
      source: string;
    };
    expect(JSON.parse(row.source)).toEqual({ kind: "export", path: "/models/o'brien" });
  });

  it("registers the stack's LoRA and ControlNet, approved by a second actor, once", () => {
    const db = localDatabase();
    const adapter = (kind: "lora" | "controlnet", name: string, digest: string) => ({
      kind,
      name,
      digest,
      appliesTo: ["tiny-control"],
      description: `the stack's ${kind}`,
    });
    const seed = adapterSeedSql(
      [adapter("lora", "tiny-ink", "a".repeat(64)), adapter("controlnet", "tiny-canny", "b".repeat(64))],
      new Date("2026-12-06T10:00:00Z"),
    );
    db.exec(seed);
    db.exec(seed);
    expect(
      db
        .prepare(
          "SELECT kind, name, status, applies_to, registered_by, approved_by FROM adapters ORDER BY kind",
        )
        .all(),
    ).toEqual([
      {
        kind: "controlnet",
        name: "tiny-canny",
        status: "approved",
        applies_to: '["tiny-control"]',
        registered_by: LOCAL_REGISTRAR,
        approved_by: LOCAL_APPROVER,
      },
      {
        kind: "lora",
        name: "tiny-ink",
        status: "approved",
        applies_to: '["tiny-control"]',
        registered_by: LOCAL_REGISTRAR,
        approved_by: LOCAL_APPROVER,
      },
    ]);
    // the table itself refuses one actor both registering and approving, which is why the seed uses two
    expect(() =>
      db.exec(
        `INSERT INTO adapters (kind, name, digest, applies_to, status, registered_by, registered_at, approved_by, approved_at)
         VALUES ('lora', 'solo', '${"c".repeat(64)}', '[]', 'approved', 'me', 'now', 'me', 'now')`,
      ),
    ).toThrow(/CHECK/);
  });
});
