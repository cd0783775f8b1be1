import { NAMED_SCHEMAS, randomHex } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { describe, expect, it } from "vitest";
import { freshAdapterName } from "../../adapters/testing.ts";
import { jobsEnv, request, seedJobKey } from "../../test-support/jobs-harness.ts";
import { asAdmin, auditRowOf, expectJson, person } from "../admin-people/testing.ts";

const S = NAMED_SCHEMAS;
const record = (body: unknown) => strictly(S.AdapterRecord.schema).parse(body);
const lora = (name: string) => ({ kind: "lora", name, digest: randomHex(32), applies_to: ["sd15", "tiny"] });

describe("the adapter registry's admin API", () => {
  it("registers a LoRA as pending and serves it only after another person approves it", async () => {
    const registrant = await person({ role: "developer", team: "global" });
    const approver = await person({ role: "model_approver", team: "global" });
    const name = freshAdapterName("ink");
    const registered = await registrant.call("/admin/adapters", {
      method: "POST",
      json: { ...lora(name), description: "ink wash", source_uri: "https://example.com/ink" },
    });
    expect(record(await expectJson(registered.clone(), 201))).toMatchObject({
      kind: "lora",
      name,
      status: "pending",
      applies_to: ["sd15", "tiny"],
      registered_by: `user:${registrant.id}`,
      approved_by: null,
    });
    expect(await auditRowOf(registered)).toMatchObject({ action: "adapter.register", before: null });

    const own = await registrant.call(`/admin/adapters/lora/${name}/approve`, { method: "POST", json: {} });
    expect(await expectJson(own, 403)).toMatchObject({ error: { code: "insufficient_scope" } });
    const approved = await approver.call(`/admin/adapters/lora/${name}/approve`, {
      method: "POST",
      json: { comment: "samples look right" },
    });
    expect(record(await expectJson(approved.clone(), 200))).toMatchObject({
      status: "approved",
      approved_by: `user:${approver.id}`,
      comment: "samples look right",
    });
    expect(await auditRowOf(approved)).toMatchObject({
      action: "adapter.approve",
      before: { status: "pending" },
      after: { status: "approved" },
    });
    const again = await approver.call(`/admin/adapters/lora/${name}/approve`, { method: "POST", json: {} });
    expect(await expectJson(again, 409)).toMatchObject({ error: { code: "conflict" } });
  });

  it("serves an approval and stops serving a removal at once in the isolate that made it", async () => {
    const registrant = await person({ role: "developer", team: "global" });
    const approver = await person({ role: "model_approver", team: "global" });
    const name = freshAdapterName("now");
    await expectJson(await registrant.call("/admin/adapters", { method: "POST", json: lora(name) }), 201);
    const { key } = await seedJobKey();
    const estimate = () =>
      request("POST", "/v1/estimate", key, jobsEnv(["stream"]), {
        body: { prompt: "a fox", lora: [{ name, weight: 0.5 }] },
      });
    // Read (and cached) while pending: refused.
    expect(await expectJson(await estimate(), 400)).toMatchObject({ error: { param: "lora.0.name" } });
    await expectJson(
      await approver.call(`/admin/adapters/lora/${name}/approve`, { method: "POST", json: {} }),
      200,
    );
    expect((await estimate()).status).toBe(200);
    await expectJson(
      await approver.call(`/admin/adapters/lora/${name}/remove`, { method: "POST", json: {} }),
      200,
    );
    expect(await expectJson(await estimate(), 400)).toMatchObject({ error: { param: "lora.0.name" } });
  });

  it("refuses the registrant's own approval even with the admin role", async () => {
    const admin = await person({ role: "admin", team: "global" });
    const name = freshAdapterName();
    await expectJson(await admin.call("/admin/adapters", { method: "POST", json: lora(name) }), 201);
    const own = await admin.call(`/admin/adapters/lora/${name}/approve`, { method: "POST", json: {} });
    expect(await expectJson(own, 403)).toMatchObject({
      error: { message: expect.stringMatching(/registered by you/) },
    });
  });

  it("needs models.register to register and models.approve to decide", async () => {
    const viewer = await person({ role: "viewer", team: "global" });
    const refused = await viewer.call("/admin/adapters", { method: "POST", json: lora(freshAdapterName()) });
    expect(await expectJson(refused, 403)).toMatchObject({ error: { code: "insufficient_scope" } });
    const developer = await person({ role: "developer", team: "global" });
    const name = freshAdapterName();
    await expectJson(await developer.call("/admin/adapters", { method: "POST", json: lora(name) }), 201);
    const other = await person({ role: "developer", team: "global" });
    const notApprover = await other.call(`/admin/adapters/lora/${name}/approve`, {
      method: "POST",
      json: {},
    });
    expect(await expectJson(notApprover, 403)).toMatchObject({ error: { code: "insufficient_scope" } });
  });

  it("names the field at fault, a taken name and an unknown adapter", async () => {
    const bad = await asAdmin("/admin/adapters", {
      method: "POST",
      json: { ...lora(freshAdapterName()), applies_to: [] },
    });
    expect(await expectJson(bad, 400)).toMatchObject({ error: { param: "applies_to" } });
    const badName = await asAdmin("/admin/adapters", { method: "POST", json: lora("no spaces allowed") });
    expect(await expectJson(badName, 400)).toMatchObject({ error: { param: "name" } });
    const name = freshAdapterName();
    await expectJson(await asAdmin("/admin/adapters", { method: "POST", json: lora(name) }), 201);
    const taken = await asAdmin("/admin/adapters", { method: "POST", json: lora(name) });
    expect(await expectJson(taken, 409)).toMatchObject({ error: { param: "name" } });
    const unknown = await asAdmin(`/admin/adapters/lora/${freshAdapterName()}`);
    expect(await expectJson(unknown, 404)).toMatchObject({ error: { code: "not_found" } });
    const wrongKind = await asAdmin(`/admin/adapters/vae/${name}`);
    expect(await expectJson(wrongKind, 404)).toMatchObject({ error: { code: "not_found" } });
  });

  it("deprecates and removes only in order, and lists by status", async () => {
    const registrant = await person({ role: "developer", team: "global" });
    const name = freshAdapterName("cn");
    const body = { kind: "controlnet", name, digest: randomHex(32), applies_to: ["sd15"] };
    await expectJson(await registrant.call("/admin/adapters", { method: "POST", json: body }), 201);
    const early = await asAdmin(`/admin/adapters/controlnet/${name}/deprecate`, { method: "POST", json: {} });
    expect(await expectJson(early, 409)).toMatchObject({
      error: { message: expect.stringMatching(/pending/) },
    });
    await expectJson(
      await asAdmin(`/admin/adapters/controlnet/${name}/approve`, { method: "POST", json: {} }),
      200,
    );
    const deprecated = await asAdmin(`/admin/adapters/controlnet/${name}/deprecate`, {
      method: "POST",
      json: { comment: "use another" },
    });
    expect(record(await expectJson(deprecated, 200))).toMatchObject({ status: "deprecated" });
    const listed = await expectJson<{ data: { name: string }[] }>(
      await asAdmin("/admin/adapters?kind=controlnet&status=deprecated"),
      200,
    );
    expect(listed.data.map((adapter) => adapter.name)).toContain(name);
    await expectJson(
      await asAdmin(`/admin/adapters/controlnet/${name}/remove`, { method: "POST", json: {} }),
      200,
    );
    const revived = await asAdmin(`/admin/adapters/controlnet/${name}/approve`, { method: "POST", json: {} });
    expect(await expectJson(revived, 409)).toMatchObject({ error: { code: "conflict" } });
  });
});
