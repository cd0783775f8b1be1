import { aliasPolicyViewSchema, type ErrorEnvelope } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { modelWithVersions } from "../../model-registry/testing.ts";
import { callsTo, generate, seedApiKey, uniquePrompt } from "../../test-support/harness.ts";
import { auditRowOf, expectJson, person } from "../admin-people/testing.ts";
import { asRegistryAdmin, freshTinyAlias, registryEdge } from "./testing.ts";

const NO_GHOSTS = [{ id: "no-ghosts", kind: "blocked_terms", terms: ["ghost"] }];

describe("an alias's policy", () => {
  it("is set, read, listed and removed by an admin, audited with before and after", async () => {
    const { alias } = await freshTinyAlias();
    const path = `/admin/models/tiny/policies/${alias}`;
    const none = await expectJson(await asRegistryAdmin(path), 200);
    expect(strictly(aliasPolicyViewSchema).parse(none)).toMatchObject({
      model_id: "tiny",
      alias,
      policy: null,
      safety_check: "off",
    });
    const set = await asRegistryAdmin(path, {
      method: "PUT",
      json: { rules: NO_GHOSTS, safety_check: "flag" },
    });
    expect(await expectJson(set.clone(), 200)).toMatchObject({
      policy: { scope: { model: "tiny", alias }, rules: [{ id: "no-ghosts" }], record_prompt: false },
      safety_check: "flag",
      updated_by: "break_glass",
    });
    expect(await auditRowOf(set)).toMatchObject({
      action: "policy.set",
      detail: { model_id: "tiny", alias },
      before: null,
      after: { rules: [{ id: "no-ghosts" }], safety_check: "flag" },
    });
    const listed = await expectJson<{ data: Array<{ alias: string }> }>(
      await asRegistryAdmin("/admin/models/tiny/policies"),
      200,
    );
    expect(listed.data.map((view) => view.alias)).toContain(alias);
    const removed = await asRegistryAdmin(path, { method: "DELETE" });
    expect(await expectJson(removed.clone(), 200)).toMatchObject({ policy: null, safety_check: "off" });
    expect(await auditRowOf(removed)).toMatchObject({
      action: "policy.remove",
      before: { safety_check: "flag" },
      after: null,
    });
  });

  it("refuses requests for its alias that break a rule, and no other alias's", async () => {
    const key = await seedApiKey();
    const env = registryEdge();
    const bound = await freshTinyAlias();
    const free = await freshTinyAlias();
    await expectJson(
      await asRegistryAdmin(`/admin/models/tiny/policies/${bound.alias}`, {
        method: "PUT",
        json: { rules: NO_GHOSTS },
      }),
      200,
    );
    const refused = await generate(
      { prompt: uniquePrompt("a ghost"), model: `tiny@${bound.alias}` },
      { key, env },
    );
    expect((await expectJson<ErrorEnvelope>(refused, 403)).error).toMatchObject({
      code: "policy_violation",
      param: "prompt",
    });
    const other = await generate(
      { prompt: uniquePrompt("a ghost"), model: `tiny@${free.alias}` },
      { key, env },
    );
    expect(other.status).toBe(200);
  });

  it("sends its safety check to the backend", async () => {
    const key = await seedApiKey();
    const env = registryEdge();
    const { alias } = await freshTinyAlias();
    await expectJson(
      await asRegistryAdmin(`/admin/models/tiny/policies/${alias}`, {
        method: "PUT",
        json: { rules: [], safety_check: "blur" },
      }),
      200,
    );
    const prompt = uniquePrompt("a lighthouse");
    expect((await generate({ prompt, model: `tiny@${alias}` }, { key, env })).status).toBe(200);
    const [sent] = await callsTo("healthy", prompt);
    expect(sent?.body).toMatchObject({ safety_check: "blur" });
  });

  it("binds a pinned version by the model's default '*', before any backend is asked", async () => {
    const key = await seedApiKey();
    const env = registryEdge();
    const [version] = await modelWithVersions(1);
    if (version === undefined) return expect.fail("no version");
    const path = `/admin/models/${version.model_id}/policies/*`;
    await expectJson(await asRegistryAdmin(path, { method: "PUT", json: { rules: NO_GHOSTS } }), 200);
    const model = `${version.model_id}@${version.version}`;
    const pinned = await generate({ prompt: uniquePrompt("a ghost"), model }, { key, env });
    expect((await expectJson<ErrorEnvelope>(pinned, 403)).error.code).toBe("policy_violation");
    // No fake holds this model's files: a request the policy lets through gets as far as routing.
    const clean = await generate({ prompt: uniquePrompt("a lighthouse"), model }, { key, env });
    expect((await expectJson<ErrorEnvelope>(clean, 503)).error.code).toBe("model_version_unavailable");
  });

  it("refuses bad bodies naming the field, an alias that is no name, and an unknown model", async () => {
    const { alias } = await freshTinyAlias();
    const path = `/admin/models/tiny/policies/${alias}`;
    const bad = await asRegistryAdmin(path, { method: "PUT", json: { rules: [], safety_check: "maybe" } });
    expect(await expectJson(bad, 400)).toMatchObject({ error: { param: "safety_check" } });
    expect((await asRegistryAdmin("/admin/models/tiny/policies/Not-An-Alias")).status).toBe(404);
    expect((await asRegistryAdmin("/admin/models/no-such-model/policies/production")).status).toBe(404);
  });

  it("is set and removed only with policies.manage", async () => {
    const { alias } = await freshTinyAlias();
    const path = `/admin/models/tiny/policies/${alias}`;
    const approver = await person({ role: "model_approver", team: "global" });
    expect((await approver.call(path)).status).toBe(200);
    expect((await approver.call(path, { method: "PUT", json: { rules: [] } })).status).toBe(403);
    expect((await approver.call(path, { method: "DELETE" })).status).toBe(403);
  });
});
