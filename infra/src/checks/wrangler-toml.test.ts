import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { d1MigrationProblems, migrationProblems, wranglerProblems } from "./wrangler-checks.ts";

const ENVIRONMENTS = ["staging", "production"];

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const rootText = readFileSync(`${repoRoot}wrangler.toml`, "utf8");

describe("wrangler.toml", () => {
  it("binds KV API_KEYS, D1 DB with migrations, R2 IMAGES, the six Durable Objects created in order, and a cron", () => {
    expect(wranglerProblems(parse(rootText), { environments: [], repoRoot })).toEqual([]);
  });

  it("has staging and production environments with every binding of their own", () => {
    expect(wranglerProblems(parse(rootText), { environments: ENVIRONMENTS, repoRoot })).toEqual([]);
  });

  it("the check catches a missing binding, a missing environment and environments sharing a database", () => {
    const config = parse(rootText) as Record<string, unknown>;
    const env = config.env as Record<string, Record<string, unknown>>;
    const staging = env.staging as {
      durable_objects: { bindings: Array<{ name: string; class_name: string }> };
    };
    const dropped = staging.durable_objects.bindings.pop();
    (env.production as { d1_databases: [{ database_id: string }] }).d1_databases[0].database_id =
      "<staging sdgate-staging database id>";
    (env.staging as { vars: Record<string, string> }).vars.SDGATE_BACKEND_TIMEOUT_MS = "120000";
    const problems = wranglerProblems(config, { environments: [...ENVIRONMENTS, "canary"], repoRoot });
    expect(problems).toEqual([
      `env.staging: Durable Object binding ${dropped?.name} → ${dropped?.class_name}`,
      "env.staging: SDGATE_BACKEND_TIMEOUT_MS must be under 100000 ms (Cloudflare's 524), not '120000'",
      "env.production shares '<staging sdgate-staging database id>' with env.staging",
      "[env.canary] is missing",
    ]);
  });

  it("replays Durable Object migrations in order", () => {
    expect(
      migrationProblems(
        [
          { tag: "v1", new_sqlite_classes: ["A"] },
          { tag: "v2", renamed_classes: [{ from: "A", to: "B" }] },
        ],
        ["B"],
      ),
    ).toEqual([]);
    expect(
      migrationProblems(
        [
          { tag: "v1", deleted_classes: ["A"] },
          { tag: "v2", new_sqlite_classes: ["A"] },
        ],
        ["A"],
      ),
    ).toEqual(["migration 1 (v1): deletes A before it exists"]);
    expect(migrationProblems([{ tag: "v1", new_sqlite_classes: ["A"] }, { tag: "v1" }], ["A", "C"])).toEqual([
      "migration 2 (v1): needs a unique tag",
      "Durable Object class C is bound but no migration creates it",
    ]);
  });

  it("requires D1 migrations numbered without gaps", () => {
    expect(d1MigrationProblems(["0001_a.sql", "0002_b.sql"])).toEqual([]);
    expect(d1MigrationProblems(["0001_a.sql", "0003_b.sql"])).toHaveLength(1);
  });
});
