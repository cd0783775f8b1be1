import { describe, expect, it } from "vitest";
import { call } from "../../keys/testing.ts";
import { fleetEnv, post } from "../../test-support/fleet.ts";
import { uniquePrompt } from "../../test-support/harness.ts";

async function created(body: Record<string, unknown>) {
  const res = await call("/admin/keys", {
    method: "POST",
    admin: true,
    body: JSON.stringify({ name: "ips", ...body }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; key: string; allowed_ips: string[] | null };
}

const from = (ip: string) => ({ "CF-Connecting-IP": ip });

describe("API keys limited to some addresses (allowed_ips)", () => {
  it("works from inside its ranges and answers 403 ip_not_allowed from outside or from nowhere", async () => {
    const key = await created({ allowed_ips: ["10.1.2.3/8", "2001:DB8::/32", "203.0.113.7"] });
    expect(key.allowed_ips).toEqual(["10.0.0.0/8", "2001:db8::/32", "203.0.113.7/32"]);

    for (const ip of ["10.200.0.1", "::ffff:10.0.0.9", "2001:db8:5::1", "203.0.113.7"]) {
      expect((await call("/v1/models", { key: key.key, headers: from(ip) })).status).toBe(200);
    }
    const generated = await post(
      { prompt: uniquePrompt() },
      key.key,
      fleetEnv(["healthy"]),
      from("10.0.0.1"),
    );
    expect(generated.status).toBe(200);

    for (const headers of [from("192.0.2.1"), from("2001:db9::1"), from("garbage"), {}]) {
      const res = await call("/v1/models", { key: key.key, headers });
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: "ip_not_allowed", type: "permission_error" } });
    }
    const refused = await post({ prompt: uniquePrompt() }, key.key, fleetEnv(["healthy"]), from("192.0.2.1"));
    expect(refused.status).toBe(403);
  });

  it("is changed at once by PATCH, and null opens the key to any address", async () => {
    const key = await created({ allowed_ips: ["10.0.0.0/8"] });
    expect((await call("/v1/models", { key: key.key, headers: from("192.0.2.1") })).status).toBe(403);
    const patched = await call(`/admin/keys/${key.id}`, {
      method: "PATCH",
      admin: true,
      body: JSON.stringify({ allowed_ips: null }),
    });
    expect(await patched.json()).toMatchObject({ allowed_ips: null });
    expect((await call("/v1/models", { key: key.key, headers: from("192.0.2.1") })).status).toBe(200);
    expect((await call("/v1/models", { key: key.key })).status).toBe(200);
  });

  it("refuses what is not a range with 400 naming the entry", async () => {
    for (const [allowed_ips, param] of [
      [["10.0.0.0/33"], "allowed_ips.0"],
      [["10.0.0.0/8", "10.1"], "allowed_ips.1"],
      [[], "allowed_ips"],
      ["10.0.0.0/8", "allowed_ips"],
    ] as const) {
      const res = await call("/admin/keys", {
        method: "POST",
        admin: true,
        body: JSON.stringify({ name: "x", allowed_ips }),
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: "invalid_request", param } });
    }
  });
});
