import { NAMED_SCHEMAS } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { freshModelId, versionBody } from "../../model-registry/testing.ts";
import { asAdmin, auditRowOf, expectJson, person, type TestPerson } from "../admin-people/testing.ts";

const S = NAMED_SCHEMAS;

/** A model registered by `by` with `count` versions; answers its id. */
async function modelWith(count: number, by: TestPerson): Promise<string> {
  const id = freshModelId();
  await expectJson(
    await by.call("/admin/models", { method: "POST", json: { id, description: "test" } }),
    201,
  );
  for (let i = 0; i < count; i++)
    await expectJson(
      await by.call(`/admin/models/${id}/versions`, { method: "POST", json: versionBody() }),
      201,
    );
  return id;
}

async function requestOf(by: TestPerson, model: string, to_version: string) {
  const res = await by.call(`/admin/models/${model}/promotions`, {
    method: "POST",
    json: { alias: "production", to_version, comment: "ready" },
  });
  return strictly(S.PromotionRequest.schema).parse(await expectJson(res, 201));
}

describe("the model registry's admin API", () => {
  it("registers a model and a version, and moves production only on another person's approval", async () => {
    const requester = await person({ role: "developer", team: "global" });
    const approver = await person({ role: "model_approver", team: "global" });
    const id = freshModelId();
    const created = await requester.call("/admin/models", { method: "POST", json: { id } });
    expect(await expectJson(created.clone(), 201)).toMatchObject({ id, created_by: `user:${requester.id}` });
    expect(await auditRowOf(created)).toMatchObject({ action: "model.create", before: null, after: { id } });
    const registered = await requester.call(`/admin/models/${id}/versions`, {
      method: "POST",
      json: versionBody(),
    });
    const version = strictly(S.ModelVersion.schema).parse(await expectJson(registered.clone(), 201));
    expect(version).toMatchObject({ version: "v1", licence: { accepted_by: `user:${requester.id}` } });
    expect(await auditRowOf(registered)).toMatchObject({ action: "model.version", after: { version: "v1" } });

    const request = await requestOf(requester, id, "v1");
    expect(request).toMatchObject({
      status: "pending",
      from_version: null,
      requested_by: `user:${requester.id}`,
    });
    const own = await requester.call(`/admin/promotions/${request.id}/approve`, { method: "POST", json: {} });
    expect(await expectJson(own, 403)).toMatchObject({ error: { code: "insufficient_scope" } });
    const self = await person({ role: "admin", team: "global" });
    const selfRequest = await requestOf(self, await modelWith(1, self), "v1");
    const refused = await self.call(`/admin/promotions/${selfRequest.id}/approve`, {
      method: "POST",
      json: {},
    });
    expect(await expectJson(refused, 403)).toMatchObject({
      error: { code: "insufficient_scope", message: expect.stringMatching(/someone else must approve/) },
    });

    const approved = await approver.call(`/admin/promotions/${request.id}/approve`, {
      method: "POST",
      json: { comment: "looks good", expected_revision: 0 },
    });
    const body = strictly(S.ApprovedPromotion.schema).parse(await expectJson(approved.clone(), 200));
    expect(body).toMatchObject({
      request: { status: "approved", decided_by: `user:${approver.id}` },
      alias: { name: "production", version: "v1", revision: 1, promotion_id: request.id },
    });
    expect(await auditRowOf(approved)).toMatchObject({
      action: "promotion.approve",
      before: { alias: null, request: { status: "pending" } },
      after: { alias: { version: "v1" } },
    });
    const aliases = await expectJson(await approver.call(`/admin/models/${id}/aliases`), 200);
    expect(strictly(S.ModelAliasList.schema).parse(aliases).data).toMatchObject([
      { name: "production", version: "v1", revision: 1 },
    ]);
    const history = await expectJson(
      await approver.call(`/admin/models/${id}/aliases/production/history`),
      200,
    );
    expect(strictly(S.AliasHistory.schema).parse(history).data).toMatchObject([
      { from_version: null, to_version: "v1", reason: "promotion", promotion_id: request.id },
    ]);
    const listed = await expectJson(
      await approver.call(`/admin/models/${id}/promotions?status=approved`),
      200,
    );
    expect(
      strictly(S.PromotionList.schema)
        .parse(listed)
        .data.map((r) => r.id),
    ).toEqual([request.id]);
  });

  it("answers 409 with the current revision for a stale expected_revision, and moves nothing", async () => {
    const requester = await person({ role: "developer", team: "global" });
    const approver = await person({ role: "model_approver", team: "global" });
    const id = await modelWith(2, requester);
    const first = await requestOf(requester, id, "v1");
    await expectJson(
      await approver.call(`/admin/promotions/${first.id}/approve`, { method: "POST", json: {} }),
      200,
    );
    const second = await requestOf(requester, id, "v2");
    const stale = await approver.call(`/admin/promotions/${second.id}/approve`, {
      method: "POST",
      json: { expected_revision: 0 },
    });
    expect(await expectJson(stale, 409)).toMatchObject({
      error: { code: "conflict", param: "expected_revision", message: expect.stringMatching(/revision 1/) },
    });
    const aliases = await expectJson<{ data: unknown[] }>(await asAdmin(`/admin/models/${id}/aliases`), 200);
    expect(aliases.data).toMatchObject([{ version: "v1", revision: 1 }]);
  });

  it("rejects on an approver's word or the requester's withdrawal, and no one else's", async () => {
    const requester = await person({ role: "developer", team: "global" });
    const other = await person({ role: "developer", team: "global" });
    const approver = await person({ role: "model_approver", team: "global" });
    const id = await modelWith(1, requester);
    const first = await requestOf(requester, id, "v1");
    const stranger = await other.call(`/admin/promotions/${first.id}/reject`, { method: "POST", json: {} });
    expect(await expectJson(stranger, 403)).toMatchObject({ error: { code: "insufficient_scope" } });
    const rejected = await approver.call(`/admin/promotions/${first.id}/reject`, {
      method: "POST",
      json: { comment: "FID regressed" },
    });
    expect(await expectJson(rejected.clone(), 200)).toMatchObject({
      status: "rejected",
      decision_comment: "FID regressed",
    });
    expect(await auditRowOf(rejected)).toMatchObject({
      action: "promotion.reject",
      before: { status: "pending" },
      after: { status: "rejected" },
    });
    const again = await approver.call(`/admin/promotions/${first.id}/approve`, { method: "POST", json: {} });
    expect(await expectJson(again, 409)).toMatchObject({ error: { code: "conflict" } });
    const second = await requestOf(requester, id, "v1");
    const withdrawn = await requester.call(`/admin/promotions/${second.id}/reject`, {
      method: "POST",
      json: {},
    });
    expect(await expectJson(withdrawn, 200)).toMatchObject({
      status: "rejected",
      decided_by: `user:${requester.id}`,
    });
  });

  it("answers 404 for unknown models, aliases and requests, and 400 naming the bad field", async () => {
    const admin = await person({ role: "admin", team: "global" });
    const unknown = freshModelId();
    for (const path of [
      `/admin/models/${unknown}`,
      `/admin/models/${unknown}/versions`,
      `/admin/models/${unknown}/aliases`,
      `/admin/models/${unknown}/promotions`,
      `/admin/models/Not-A-Model/versions`,
    ])
      expect((await admin.call(path)).status, path).toBe(404);
    const id = await modelWith(1, admin);
    expect((await admin.call(`/admin/models/${id}/aliases/staging/history`)).status).toBe(404);
    for (const verb of ["approve", "reject"])
      expect(
        (await admin.call(`/admin/promotions/prm_0000000000000000/${verb}`, { method: "POST", json: {} }))
          .status,
      ).toBe(404);
    const bad = async (path: string, json: unknown) =>
      (await expectJson<{ error: { param: string } }>(await admin.call(path, { method: "POST", json }), 400))
        .error.param;
    expect(await bad("/admin/models", { id: "Bad Id" })).toBe("id");
    expect(await bad(`/admin/models/${id}/versions`, versionBody({ digest: "abc" }))).toBe("digest");
    expect(
      await bad(`/admin/models/${id}/versions`, versionBody({ licence: { id: "MIT", accepted: false } })),
    ).toBe("licence.accepted");
    expect(await bad(`/admin/models/${id}/promotions`, { alias: "v2", to_version: "v1" })).toBe("alias");
    expect(await bad(`/admin/models/${id}/promotions`, { alias: "production", to_version: "3" })).toBe(
      "to_version",
    );
    expect((await admin.call(`/admin/models/${id}/promotions?status=maybe`)).status).toBe(400);
    const taken = await admin.call("/admin/models", { method: "POST", json: { id } });
    expect(await expectJson(taken, 409)).toMatchObject({ error: { code: "conflict", param: "id" } });
  });

  it("lets viewers read and only holders of models.register register", async () => {
    const viewer = await person({ role: "viewer", team: "global" });
    const approver = await person({ role: "model_approver", team: "global" });
    expect((await viewer.call("/admin/models")).status).toBe(200);
    for (const who of [viewer, approver])
      expect((await who.call("/admin/models", { method: "POST", json: { id: freshModelId() } })).status).toBe(
        403,
      );
  });
});
