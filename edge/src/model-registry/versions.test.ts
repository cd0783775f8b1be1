import { describe, expect, it } from "vitest";
import { createModel, getModel, listModels } from "./models.ts";
import { db, freshModelId, modelWithVersions, versionBody } from "./testing.ts";
import { getVersion, listVersions, registerVersion } from "./versions.ts";

describe("models", () => {
  it("are created once, answered as before: null and after", async () => {
    const id = freshModelId();
    const now = new Date("2026-12-01T10:00:00.000Z");
    const created = await createModel(db, { id, description: " SD 1.5 " }, "usr_a", now);
    expect(created).toEqual({
      ok: true,
      value: {
        before: null,
        after: { id, description: "SD 1.5", created_at: now.toISOString(), created_by: "usr_a" },
      },
    });
    expect(await getModel(db, id)).toEqual(created.ok && created.value.after);
    expect((await listModels(db)).map((model) => model.id)).toContain(id);
    expect(await createModel(db, { id }, "usr_b")).toMatchObject({
      ok: false,
      error: { code: "model_exists" },
    });
    expect(await createModel(db, { id: "Not A Slug" }, "usr_b")).toMatchObject({
      ok: false,
      error: { code: "invalid", message: expect.stringContaining("'id'") },
    });
  });
});

describe("versions", () => {
  it("are numbered v1, v2, … in order, recording who accepted the licence and when", async () => {
    const [v1, v2, v3] = await modelWithVersions(3);
    expect([v1?.version, v2?.version, v3?.version]).toEqual(["v1", "v2", "v3"]);
    if (!v2) expect.fail("no v2");
    expect(v2.licence).toEqual({
      id: "CreativeML-OpenRAIL-M",
      accepted_by: v2.registered_by,
      accepted_at: v2.registered_at,
    });
    expect(await getVersion(db, v2.model_id, "v2")).toEqual(v2);
    expect(await listVersions(db, v2.model_id)).toEqual([v1, v2, v3]);
    expect(await getVersion(db, v2.model_id, "v4")).toBeNull();
    expect(await getVersion(db, v2.model_id, "2")).toBeNull();
  });

  it("keep a checkpoint source with its LoRAs and build options", async () => {
    const [v1] = await modelWithVersions(1);
    if (!v1) expect.fail("no v1");
    const source = {
      kind: "checkpoint" as const,
      uri: "s3://models/sd15.safetensors",
      loras: [{ uri: "s3://loras/ink.safetensors", scale: 0.7 }],
      build_options: { precision: "fp16", vae_tiling: true },
    };
    const registered = await registerVersion(db, v1.model_id, versionBody({ source }), "usr_b");
    if (!registered.ok) expect.fail(registered.error.message);
    expect(await getVersion(db, v1.model_id, "v2")).toMatchObject({ version: "v2", source });
  });

  it("concurrent registrations each get their own number", async () => {
    const [v1] = await modelWithVersions(1);
    if (!v1) expect.fail("no v1");
    const results = await Promise.all(
      [1, 2, 3].map(() => registerVersion(db, v1.model_id, versionBody(), "usr_c")),
    );
    expect(results.map((r) => r.ok && r.value.after.version).sort()).toEqual(["v2", "v3", "v4"]);
  });

  it("refuse files the model already holds, naming the version that has them", async () => {
    const [v1] = await modelWithVersions(1);
    if (!v1) expect.fail("no v1");
    const again = await registerVersion(db, v1.model_id, versionBody({ digest: v1.digest }), "usr_b");
    expect(again).toMatchObject({ ok: false, error: { code: "duplicate_digest", version: "v1" } });
    expect(!again.ok && again.error.message).toContain(v1.digest);
    // Another model may hold the same files.
    const [other] = await modelWithVersions(1);
    if (!other) expect.fail("no model");
    expect((await registerVersion(db, other.model_id, versionBody({ digest: v1.digest }), "usr_b")).ok).toBe(
      true,
    );
  });

  it("refuse a licence that was not accepted, and bad input, registering nothing", async () => {
    const [v1] = await modelWithVersions(1);
    if (!v1) expect.fail("no v1");
    const body = versionBody({ licence: { id: "CreativeML-OpenRAIL-M", accepted: false } });
    expect(await registerVersion(db, v1.model_id, body, "usr_b")).toMatchObject({
      ok: false,
      error: { code: "licence_not_accepted", licence: "CreativeML-OpenRAIL-M" },
    });
    expect(await registerVersion(db, v1.model_id, versionBody({ digest: "ABC" }), "usr_b")).toMatchObject({
      ok: false,
      error: { code: "invalid", message: expect.stringContaining("'digest'") },
    });
    expect(
      await registerVersion(db, v1.model_id, versionBody({ card: "x".repeat(40_000) }), "usr_b"),
    ).toMatchObject({
      ok: false,
      error: { code: "invalid", message: expect.stringContaining("'card'") },
    });
    expect(await registerVersion(db, freshModelId(), versionBody(), "usr_b")).toMatchObject({
      ok: false,
      error: { code: "not_found" },
    });
    expect(await listVersions(db, v1.model_id)).toEqual([v1]);
  });

  it("cannot be changed or deleted, even by hand", async () => {
    const [v1] = await modelWithVersions(1);
    if (!v1) expect.fail("no v1");
    await expect(
      db.prepare("UPDATE model_versions SET card = 'edited' WHERE model_id = ?").bind(v1.model_id).run(),
    ).rejects.toThrow(/immutable/);
    await expect(
      db.prepare("DELETE FROM model_versions WHERE model_id = ?").bind(v1.model_id).run(),
    ).rejects.toThrow(/never deleted/);
    expect(await getVersion(db, v1.model_id, "v1")).toEqual(v1);
  });
});
