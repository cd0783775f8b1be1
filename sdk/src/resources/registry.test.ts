import { afterEach, describe, expect, it } from "vitest";
import { Sdgate } from "../client.ts";
import { type FakeServer, fakeServer, json } from "../test-support/fake-server.ts";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const REQUEST = {
  id: "prm_0123456789abcdef",
  model_id: "sd15",
  alias: "production",
  from_version: "v1",
  to_version: "v2",
  requested_by: "user:usr_0123456789abcdef",
  requested_at: "2026-12-01T00:00:00.000Z",
  comment: "",
  evidence: [],
  status: "rejected",
  decided_by: "user:usr_fedcba9876543210",
  decided_at: "2026-12-01T01:00:00.000Z",
  decision_comment: "FID regressed",
};

async function admin(answer: unknown) {
  server = await fakeServer((_, response) => json(response, 200, answer));
  return new Sdgate({ baseUrl: server.url, adminToken: "admin-token", maxRetries: 0 });
}

describe("the model registry on the wire", () => {
  it("puts a model and an alias in the history's path, each encoded", async () => {
    const client = await admin({ object: "list", data: [] });
    await client.registry.history("sd1.5", "canary/x");
    await client.registry.promotions("sd15", { status: "pending" });
    const [history, promotions] = server?.seen ?? [];
    expect(history).toMatchObject({ method: "GET", path: "/admin/models/sd1.5/aliases/canary%2Fx/history" });
    expect(promotions).toMatchObject({ method: "GET", path: "/admin/models/sd15/promotions?status=pending" });
    expect(history?.headers.authorization).toBe("Bearer admin-token");
  });

  it("sends a decision's body and parses the request it answers", async () => {
    const client = await admin(REQUEST);
    const rejected = await client.registry.reject(REQUEST.id, { comment: "FID regressed" });
    expect(rejected.status).toBe("rejected");
    expect(server?.seen[0]).toMatchObject({
      method: "POST",
      path: `/admin/promotions/${REQUEST.id}/reject`,
      body: JSON.stringify({ comment: "FID regressed" }),
    });
  });

  it("puts an alias policy's alias in the path, '*' as it is, and parses the view", async () => {
    const view = {
      object: "model.policy",
      model_id: "sd15",
      alias: "*",
      policy: null,
      safety_check: "blur",
      updated_at: null,
      updated_by: null,
    };
    const client = await admin(view);
    const set = await client.registry.setPolicy("sd15", "*", { rules: [], safety_check: "blur" });
    expect(set.safety_check).toBe("blur");
    await client.registry.policy("sd15", "production");
    await client.registry.removePolicy("sd15", "staging");
    const [put, get, remove] = server?.seen ?? [];
    expect(put).toMatchObject({ method: "PUT", path: "/admin/models/sd15/policies/*" });
    expect(JSON.parse(put?.body ?? "")).toEqual({ rules: [], safety_check: "blur" });
    expect(get).toMatchObject({ method: "GET", path: "/admin/models/sd15/policies/production" });
    expect(remove).toMatchObject({ method: "DELETE", path: "/admin/models/sd15/policies/staging" });
  });
});
