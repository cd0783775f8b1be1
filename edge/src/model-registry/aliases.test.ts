import { describe, expect, it } from "vitest";
import { aliasHistory, bootstrapAlias, getAlias, resolveRef } from "./aliases.ts";
import { createModel } from "./models.ts";
import { db, freshModelId, modelWithVersions, versionBody } from "./testing.ts";
import { registerVersion } from "./versions.ts";

describe("bootstrapAlias", () => {
  it("points a new alias at a model's only version, in the history as a bootstrap", async () => {
    const [v1] = await modelWithVersions(1);
    if (!v1) expect.fail("no v1");
    const now = new Date("2026-12-06T09:00:00.000Z");
    const booted = await bootstrapAlias(db, v1.model_id, "production", "system", { bootstrap: true }, now);
    const alias = {
      model_id: v1.model_id,
      name: "production",
      version: "v1",
      revision: 1,
      updated_at: now.toISOString(),
      updated_by: "system",
      promotion_id: null,
    };
    expect(booted).toEqual({ ok: true, value: { before: null, after: alias } });
    expect(await aliasHistory(db, v1.model_id, "production")).toEqual([
      {
        model_id: v1.model_id,
        name: "production",
        from_version: null,
        to_version: "v1",
        revision: 1,
        moved_at: now.toISOString(),
        moved_by: "system",
        promotion_id: null,
        reason: "bootstrap",
      },
    ]);
    expect(await bootstrapAlias(db, v1.model_id, "production", "system", { bootstrap: true })).toMatchObject({
      ok: false,
      error: { code: "alias_exists" },
    });
    expect(await getAlias(db, v1.model_id, "production")).toEqual(alias);
  });

  it("refuses a model with more than one version, or none, or no model at all", async () => {
    const [v1] = await modelWithVersions(2);
    if (!v1) expect.fail("no v1");
    expect(await bootstrapAlias(db, v1.model_id, "production", "system", { bootstrap: true })).toMatchObject({
      ok: false,
      error: { code: "invalid" },
    });
    expect(await getAlias(db, v1.model_id, "production")).toBeNull();
    expect(await aliasHistory(db, v1.model_id, "production")).toEqual([]);
    const empty = freshModelId();
    await createModel(db, { id: empty }, "usr_a");
    expect(await bootstrapAlias(db, empty, "production", "system", { bootstrap: true })).toMatchObject({
      ok: false,
      error: { code: "invalid" },
    });
    expect(
      await bootstrapAlias(db, freshModelId(), "production", "system", { bootstrap: true }),
    ).toMatchObject({
      ok: false,
      error: { code: "not_found" },
    });
  });
});

describe("resolveRef", () => {
  it("resolves a bare model through production, an alias, and a pinned version", async () => {
    const [v1] = await modelWithVersions(1);
    if (!v1) expect.fail("no v1");
    await bootstrapAlias(db, v1.model_id, "production", "system", { bootstrap: true });
    const v2 = await registerVersion(db, v1.model_id, versionBody(), "usr_b");
    if (!v2.ok) expect.fail(v2.error.message);

    const bare = await resolveRef(db, v1.model_id);
    expect(bare).toMatchObject({
      ok: true,
      value: { ref: { model: v1.model_id, alias: "production" }, version: v1, alias: { version: "v1" } },
    });
    expect(await resolveRef(db, `${v1.model_id}@production`)).toEqual(bare);
    expect(await resolveRef(db, `${v1.model_id}@v2`)).toEqual({
      ok: true,
      value: { ref: { model: v1.model_id, version: "v2" }, version: v2.value.after, alias: null },
    });
    expect(await resolveRef(db, { model: v1.model_id, version: "v1" })).toMatchObject({
      ok: true,
      value: { version: v1 },
    });
  });

  it("answers not_found naming the reference for an unknown model, alias or version", async () => {
    const [v1] = await modelWithVersions(1);
    if (!v1) expect.fail("no v1");
    const unknown = freshModelId();
    for (const [ref, named] of [
      [`${v1.model_id}@staging`, `${v1.model_id}@staging`],
      [`${v1.model_id}@v9`, `${v1.model_id}@v9`],
      [v1.model_id, `${v1.model_id}@production`],
      [unknown, `${unknown}@production`],
    ] as const) {
      const resolved = await resolveRef(db, ref);
      expect(resolved).toEqual({
        ok: false,
        error: { code: "not_found", ref: named, message: `Model reference '${named}' does not exist.` },
      });
    }
    expect(await resolveRef(db, `${v1.model_id}@v01`)).toMatchObject({
      ok: false,
      error: { code: "invalid" },
    });
  });
});
