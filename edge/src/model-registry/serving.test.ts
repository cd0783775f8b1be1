import type { ErrorEnvelope, GenerationResponse, ModelVersion } from "@sdgate/shared";
import { describe, expect, it, vi } from "vitest";
import type { Env } from "../env.ts";
import { call } from "../keys/testing.ts";
import { asAdmin, expectJson, newTeam } from "../routes/admin-people/testing.ts";
import { FAKE_TINY_DIGESTS } from "../test-support/fake-backends.ts";
import { callsTo, edgeEnv, generate, seedApiKey, uniquePrompt } from "../test-support/harness.ts";
import { getVersion } from "./index.ts";
import { db, freshTinyAliasAt, tinyVersionHolding } from "./testing.ts";

// Edge test files share one D1: the registry's `tiny` and its versions are made once, by whichever
// test needs them first; each test points an alias of its own at them.
const NOBODY_HOLDS = "d".repeat(64);

/** A fresh alias of tiny pointing at the version holding `digest`. */
async function aliasTo(digest: string): Promise<{ alias: string; version: ModelVersion }> {
  const version = await tinyVersionHolding(digest);
  return { alias: await freshTinyAliasAt(version), version };
}

/** The registry-governed edge, routing to healthyB first (it holds another version than healthy). */
const governed = (overrides: Partial<Env> = {}) =>
  edgeEnv(["healthyB", "healthy"], { SDGATE_MODEL_GOVERNANCE: "registry", ...overrides });

const errorOf = async (res: Response) => ((await res.json()) as ErrorEnvelope).error;

describe("serving a request through the model registry", () => {
  it("runs an alias's version only on backends that hold its files, and says which version ran", async () => {
    const key = await seedApiKey();
    const common = await aliasTo(FAKE_TINY_DIGESTS.common);
    const onB = await aliasTo(FAKE_TINY_DIGESTS.healthyB);

    const prompt = uniquePrompt();
    const res = await generate({ prompt, model: `tiny@${common.alias}`, seed: 1 }, { key, env: governed() });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-backend")).toBe("fake-healthy");
    const body = (await res.json()) as GenerationResponse;
    expect(body).toMatchObject({ model: "tiny", model_version: common.version.version });
    const [call] = await callsTo("healthy", prompt);
    expect(call?.body).toMatchObject({
      model_version: { version: common.version.version, digest: common.version.digest },
    });
    expect(await callsTo("healthyB", prompt)).toEqual([]);

    // The same prompt and seed through the other alias is another version: another image, not a replay.
    const other = await generate({ prompt, model: `tiny@${onB.alias}`, seed: 1 }, { key, env: governed() });
    expect(other.status).toBe(200);
    expect(other.headers.get("x-backend")).toBe("fake-healthyB");
    expect(other.headers.get("x-cache")).not.toBe("HIT");
    expect(((await other.json()) as GenerationResponse).model_version).toBe(onB.version.version);
  });

  it("runs a pinned version, and answers 404 naming an alias or version that does not exist", async () => {
    const key = await seedApiKey();
    const { version } = await aliasTo(FAKE_TINY_DIGESTS.common);
    const pinned = await generate(
      { prompt: uniquePrompt(), model: `tiny@${version.version}` },
      { key, env: governed() },
    );
    expect(pinned.status).toBe(200);

    const noAlias = await generate(
      { prompt: uniquePrompt(), model: "tiny@nowhere" },
      { key, env: governed() },
    );
    expect(noAlias.status).toBe(404);
    expect(await errorOf(noAlias)).toMatchObject({ code: "model_not_found", param: "model" });
    const noVersion = await generate(
      { prompt: uniquePrompt(), model: "tiny@v999999" },
      { key, env: governed() },
    );
    expect((await errorOf(noVersion)).message).toContain("'tiny@v999999'");
    const unknown = await generate(
      { prompt: uniquePrompt(), model: "no-such-model" },
      { key, env: governed() },
    );
    expect((await errorOf(unknown)).message).toContain("'no-such-model' has no 'production' version");
    const malformed = await generate({ prompt: uniquePrompt(), model: "tiny@V1" }, { key, env: governed() });
    expect(malformed.status).toBe(400);
    expect(await errorOf(malformed)).toMatchObject({ code: "invalid_request", param: "model" });
  });

  it("answers 503 naming a version that no backend holds, and calls none", async () => {
    const key = await seedApiKey();
    const { alias, version } = await aliasTo(NOBODY_HOLDS);
    const prompt = uniquePrompt();
    const res = await generate({ prompt, model: `tiny@${alias}` }, { key, env: governed() });
    expect(res.status).toBe(503);
    const error = await errorOf(res);
    expect(error.code).toBe("model_version_unavailable");
    expect(error.message).toContain(`tiny@${version.version} (sha256 dddddddddddd…)`);
    expect(await callsTo("healthy", prompt)).toEqual([]);
    expect(await callsTo("healthyB", prompt)).toEqual([]);
  });

  it("refuses model references on an edge that serves its static catalog", async () => {
    const key = await seedApiKey();
    const res = await generate({ prompt: uniquePrompt(), model: "tiny@production" }, { key });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).message).toContain("SDGATE_MODEL_GOVERNANCE=catalog");
  });

  it("holds a key to the aliases and versions it names", async () => {
    const allowed = await aliasTo(FAKE_TINY_DIGESTS.common);
    const other = await aliasTo(FAKE_TINY_DIGESTS.common);
    const env = governed();
    const body = JSON.stringify({ name: "one alias", models: [`tiny@${allowed.alias}`] });
    const created = await expectJson<{ key: string }>(
      await call("/admin/keys", { method: "POST", admin: true, body }, env),
      201,
    );
    // On a registry edge a key may name only what the registry has.
    for (const models of [["nothing-here"], ["tiny@v999999"], ["tiny@V1"]]) {
      const refused = await call(
        "/admin/keys",
        { method: "POST", admin: true, body: JSON.stringify({ name: "x", models }) },
        env,
      );
      expect(refused.status).toBe(400);
      expect(await errorOf(refused)).toMatchObject({ code: "invalid_request", param: "models" });
    }
    const ok = await generate(
      { prompt: uniquePrompt(), model: `tiny@${allowed.alias}` },
      { key: created.key, env },
    );
    expect(ok.status).toBe(200);
    for (const model of [`tiny@${other.alias}`, `tiny@${allowed.version.version}`]) {
      const refused = await generate({ prompt: uniquePrompt(), model }, { key: created.key, env });
      expect(refused.status).toBe(403);
      expect(await errorOf(refused)).toMatchObject({ code: "model_not_allowed", param: "model" });
    }
  });

  it("refuses a team key a model its team is not granted, with 403 naming it, before any backend call", async () => {
    const granted = await aliasTo(FAKE_TINY_DIGESTS.common);
    const notGranted = await aliasTo(FAKE_TINY_DIGESTS.common);
    const team = await newTeam();
    const grant = JSON.stringify({ models: [`tiny@${granted.alias}`] });
    await expectJson(
      await call(`/admin/teams/${team.id}/models`, { method: "PUT", admin: true, body: grant }, governed()),
      200,
    );
    const created = await expectJson<{ key: string }>(
      await asAdmin("/admin/keys", { method: "POST", json: { name: "team key", team_id: team.id } }),
      201,
    );
    const env = governed();
    const ok = await generate(
      { prompt: uniquePrompt(), model: `tiny@${granted.alias}` },
      { key: created.key, env },
    );
    expect(ok.status).toBe(200);
    const prompt = uniquePrompt();
    const refused = await generate({ prompt, model: `tiny@${notGranted.alias}` }, { key: created.key, env });
    expect(refused.status).toBe(403);
    const error = await errorOf(refused);
    expect(error).toMatchObject({ code: "model_not_granted", param: "model" });
    expect(error.message).toContain(`'tiny@${notGranted.alias}'`);
    expect(error.message).toContain(team.id);
    expect(await callsTo("healthy", prompt)).toEqual([]);
  });

  it("applies an alias's prompt policy and sends its safety check to the backend", async () => {
    const key = await seedApiKey();
    const { alias } = await aliasTo(FAKE_TINY_DIGESTS.common);
    const rules = [{ id: "no-ghosts", kind: "blocked_terms", terms: ["ghost"] }];
    const policy = JSON.stringify({ rules, safety_check: "blur" });
    await expectJson(
      await call(
        `/admin/models/tiny/policies/${alias}`,
        { method: "PUT", admin: true, body: policy },
        governed(),
      ),
      200,
    );
    const env = governed();
    const refused = await generate({ prompt: uniquePrompt("a ghost"), model: `tiny@${alias}` }, { key, env });
    expect(refused.status).toBe(403);
    expect(await errorOf(refused)).toMatchObject({ code: "policy_violation", param: "prompt" });
    // The model's other aliases are not bound by it.
    const elsewhere = await aliasTo(FAKE_TINY_DIGESTS.common);
    const free = await generate(
      { prompt: uniquePrompt("a ghost"), model: `tiny@${elsewhere.alias}` },
      { key, env },
    );
    expect(free.status).toBe(200);

    const prompt = uniquePrompt("a lighthouse");
    const ok = await generate({ prompt, model: `tiny@${alias}` }, { key, env });
    expect(ok.status).toBe(200);
    const [sent] = await callsTo("healthy", prompt);
    expect(sent?.body).toMatchObject({ safety_check: "blur" });

    // A flagged image's decision reaches the caller, and the generation's audit row keeps it with
    // the image's hash.
    const flagged = await generate(
      { prompt: uniquePrompt("an unsafe lighthouse"), model: `tiny@${alias}` },
      { key, env },
    );
    expect(flagged.status).toBe(200);
    const requestId = flagged.headers.get("x-request-id") ?? "";
    const [image] = ((await flagged.json()) as GenerationResponse).data;
    expect(image?.safety).toMatchObject({ outcome: "blurred", concepts: [3] });
    await vi.waitFor(async () => {
      const row = await db
        .prepare("SELECT detail FROM audit_log WHERE action = 'generation' AND detail LIKE ?")
        .bind(`%${requestId}%`)
        .first<{ detail: string }>();
      const detail = JSON.parse(row?.detail ?? "{}") as { safety?: string };
      expect(JSON.parse(detail.safety ?? "[]")).toEqual([{ seed: image?.seed, ...image?.safety }]);
    });
  });

  it("keeps a version's record readable by its label", async () => {
    const version = await tinyVersionHolding(FAKE_TINY_DIGESTS.common);
    expect((await getVersion(db, "tiny", version.version))?.digest).toBe(FAKE_TINY_DIGESTS.common);
  });
});
