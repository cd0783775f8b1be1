import { principalSchema } from "@sdgate/shared";
import { strictly } from "@sdgate/shared/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, call } from "../keys/testing.ts";
import { seedApiKey } from "../test-support/harness.ts";

let readKey: string;
let generateKey: string;
beforeAll(async () => {
  readKey = await seedApiKey(["read"]);
  generateKey = await seedApiKey(["generate"]);
});

async function me(authorization: string | null) {
  const res = await call(
    "/v1/me",
    authorization === null ? {} : { headers: { Authorization: authorization } },
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("GET /v1/me", () => {
  it("names a key, and grants what its scopes grant", async () => {
    const read = await me(`Bearer ${readKey}`);
    expect(read.status).toBe(200);
    expect(strictly(principalSchema).parse(read.body)).toMatchObject({
      kind: "key",
      id: expect.stringMatching(/^key_/),
      teams: [],
      roles: [],
      permissions: ["images.read", "jobs.read", "models.read"],
    });
    const generate = await me(`Bearer ${generateKey}`);
    expect(generate.body.permissions).toEqual([
      "images.generate",
      "images.read",
      "jobs.read",
      "jobs.cancel",
      "models.read",
    ]);
  });

  it("names the admin token as break-glass, with every permission, and audits its use", async () => {
    const admin = await me(`Bearer ${ADMIN_TOKEN}`);
    expect(admin.status).toBe(200);
    expect(strictly(principalSchema).parse(admin.body)).toMatchObject({
      kind: "break_glass",
      id: "admin_token",
      roles: ["admin"],
    });
    expect((admin.body.permissions as string[]).length).toBeGreaterThan(10);
    const audit = await call("/admin/audit?limit=20", { admin: true });
    const rows = ((await audit.json()) as { data: Array<{ action: string; actor: string }> }).data;
    expect(rows).toContainEqual(expect.objectContaining({ action: "principal.read", actor: "break_glass" }));
  });

  it("refuses no credential, an unknown key and a wrong admin token with 401", async () => {
    expect((await me(null)).status).toBe(401);
    expect((await me(`Bearer sk_${"0".repeat(48)}`)).status).toBe(401);
    expect((await me("Bearer not-the-admin-token-0123456789abcdef")).status).toBe(401);
  });
});
