import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { apiError, cliAgainst } from "./directory-testing.ts";

const AT = "2026-12-01T00:00:00.000Z";
const MODEL = { id: "sd15", description: "SD 1.5", created_at: AT, created_by: "user:usr_0123456789abcdef" };
const VERSION = {
  model_id: "sd15",
  version: "v2",
  digest: "ab".repeat(32),
  source: { kind: "export", path: "/models/sd15" },
  engine_version: "sdgate-engine/3",
  licence: { id: "CreativeML-OpenRAIL-M", accepted_by: MODEL.created_by, accepted_at: AT },
  card: "",
  registered_by: MODEL.created_by,
  registered_at: AT,
};
const ALIAS = {
  model_id: "sd15",
  name: "production",
  version: "v2",
  revision: 2,
  updated_at: AT,
  updated_by: "user:usr_fedcba9876543210",
  promotion_id: "prm_0123456789abcdef",
};
const REQUEST = {
  id: "prm_0123456789abcdef",
  model_id: "sd15",
  alias: "production",
  from_version: "v1",
  to_version: "v2",
  requested_by: MODEL.created_by,
  requested_at: AT,
  comment: "",
  evidence: [],
  status: "pending",
  decided_by: null,
  decided_at: null,
  decision_comment: null,
};
const MOVE = {
  model_id: "sd15",
  name: "production",
  from_version: "v1",
  to_version: "v2",
  revision: 2,
  moved_at: AT,
  moved_by: ALIAS.updated_by,
  promotion_id: REQUEST.id,
  reason: "promotion",
};
const list = (data: unknown[]) => ({ status: 200, body: { object: "list", data } });

const { sdgate } = cliAgainst((request) => {
  const body = request.body as Record<string, unknown> | null;
  const path = request.path.split("?")[0];
  if (path === "/admin/models" && request.method === "GET") return list([MODEL]);
  if (path === "/admin/models") return { status: 201, body: { ...MODEL, id: body?.id } };
  if (path === "/admin/models/sd15") return { status: 200, body: MODEL };
  if (path === "/admin/models/sd15/versions" && request.method === "GET") return list([VERSION]);
  if (path === "/admin/models/sd15/versions") return { status: 201, body: VERSION };
  if (path === "/admin/models/sd15/aliases") return list([ALIAS]);
  if (path === "/admin/models/sd15/aliases/production/history") return list([MOVE]);
  if (path === "/admin/models/sd15/promotions" && request.method === "GET") return list([REQUEST]);
  if (path === "/admin/models/sd15/promotions") return { status: 201, body: REQUEST };
  if (path === `/admin/promotions/${REQUEST.id}/approve` && body?.expected_revision === 0)
    return apiError(409, "conflict", "'sd15@production' now points at v1 (revision 1).", "expected_revision");
  if (path === `/admin/promotions/${REQUEST.id}/approve`)
    return {
      status: 200,
      body: {
        request: { ...REQUEST, status: "approved" },
        alias: ALIAS,
        superseded: ["prm_fedcba9876543210"],
      },
    };
  if (path === `/admin/promotions/${REQUEST.id}/reject`)
    return { status: 200, body: { ...REQUEST, status: "rejected" } };
  return apiError(404, "not_found", "Not found.");
});

describe("sdgate models (and registry, its former name)", () => {
  it("answers by either name", async () => {
    const byNew = await sdgate(["models", "list"]);
    expect(byNew.code).toBe(0);
    expect(byNew.stdout).toBe((await sdgate(["registry", "list"])).stdout);
    expect((await sdgate(["models", "--help"])).stdout).toContain(
      "sdgate models policy <model id> <alias|*>",
    );
  });

  it("list, show, versions, aliases and history print tables", async () => {
    expect((await sdgate(["registry", "list"])).stdout).toMatch(/^ID\s+DESCRIPTION\s+CREATED BY\s+CREATED$/m);
    const shown = await sdgate(["registry", "show", "sd15"]);
    expect(shown.stdout).toMatch(/^sd15: SD 1.5; registered by/);
    expect(shown.stdout).toMatch(/production\s+v2\s+2\s+user:usr_fedcba9876543210\s+prm_0123456789abcdef/);
    expect((await sdgate(["registry", "versions", "sd15"])).stdout).toMatch(
      /v2\s+abababababab\s+export\s+sdgate-engine\/3\s+CreativeML-OpenRAIL-M/,
    );
    const history = await sdgate(["registry", "history", "sd15", "production"]);
    expect(history.request).toMatchObject({ path: "/admin/models/sd15/aliases/production/history" });
    expect(history.stdout).toMatch(/2\s+v1\s+v2\s+promotion/);
    const json = await sdgate(["registry", "aliases", "sd15", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ data: [{ name: "production" }] });
  });

  it("create and register-version send their bodies", async () => {
    const created = await sdgate(["registry", "create", "sd21", "--description", "SD 2.1"]);
    expect(created.request).toMatchObject({ method: "POST", body: { id: "sd21", description: "SD 2.1" } });
    const file = join(await mkdtemp(join(tmpdir(), "sdgate-registry-")), "version.json");
    const { model_id: _, version: __, registered_by: ___, registered_at: ____, ...body } = VERSION;
    await writeFile(
      file,
      JSON.stringify({ ...body, licence: { id: "CreativeML-OpenRAIL-M", accepted: true } }),
    );
    const registered = await sdgate(["registry", "register-version", "sd15", "--file", file]);
    expect(registered.code).toBe(0);
    expect(registered.request).toMatchObject({ method: "POST", body: { licence: { accepted: true } } });
    expect(registered.stdout).toContain("Registered sd15@v2");
    expect((await sdgate(["registry", "register-version", "sd15"])).code).toBe(2);
  });

  it("requests, approves and rejects promotions, and says why an approval is refused", async () => {
    const requested = await sdgate([
      "registry",
      "request-promotion",
      "sd15",
      "--alias",
      "production",
      "--to",
      "v2",
    ]);
    expect(requested.request).toMatchObject({ body: { alias: "production", to_version: "v2" } });
    expect(requested.stdout).toContain("sd15@production v1 → v2, pending");
    const cited = await sdgate([
      "models",
      "request-promotion",
      "sd15",
      "--alias",
      "production",
      "--to",
      "v2",
      "--evidence",
      "evaluation:evl_0123456789abcdef",
      "--evidence",
      "link:https://wiki.example.com/sd15-v2",
    ]);
    expect(cited.request).toMatchObject({
      body: {
        evidence: [
          { kind: "evaluation", ref: "evl_0123456789abcdef" },
          { kind: "link", ref: "https://wiki.example.com/sd15-v2" },
        ],
      },
    });
    const badEvidence = ["models", "request-promotion", "sd15", "--alias", "production", "--to", "v2"];
    expect((await sdgate([...badEvidence, "--evidence", "rumour:heard it"])).code).toBe(2);
    expect((await sdgate([...badEvidence, "--evidence", "link:"])).code).toBe(2);
    const listed = await sdgate(["registry", "promotions", "sd15", "--status", "pending"]);
    expect(listed.request?.path).toBe("/admin/models/sd15/promotions?status=pending");
    expect(listed.stdout).toMatch(/prm_0123456789abcdef\s+production\s+v1\s+v2\s+pending/);
    const approved = await sdgate(["registry", "approve", REQUEST.id, "--expected-revision", "1"]);
    expect(approved.request).toMatchObject({ body: { expected_revision: 1 } });
    expect(approved.stdout).toContain("sd15@production → v2 (revision 2)");
    expect(approved.stdout).toContain("Superseded: prm_fedcba9876543210");
    const stale = await sdgate(["registry", "approve", REQUEST.id, "--expected-revision", "0"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("revision 1");
    const rejected = await sdgate(["registry", "reject", REQUEST.id, "--comment", "no"]);
    expect(rejected.request).toMatchObject({ body: { comment: "no" } });
    expect(rejected.stdout).toContain("rejected");
    expect((await sdgate(["registry", "promotions", "sd15", "--status", "maybe"])).code).toBe(2);
  });
});
