import { describe, expect, it } from "vitest";
import { cliAgainst, TEAM } from "./directory-testing.ts";

const { sdgate } = cliAgainst((request) =>
  request.path === "/v1/me"
    ? {
        status: 200,
        body: {
          object: "principal",
          kind: "break_glass",
          id: "admin_token",
          name: "SDGATE_ADMIN_TOKEN",
          email: null,
          teams: [{ id: TEAM.id, name: TEAM.name, role: "team_admin" }],
          roles: ["admin"],
          permissions: ["keys.read", "audit.read"],
        },
      }
    : { status: 404, body: {} },
);

describe("sdgate whoami", () => {
  it("prints the credential's kind, identity, roles, teams and permissions from GET /v1/me", async () => {
    const { code, stdout, request } = await sdgate(["whoami"]);
    expect(code).toBe(0);
    expect(request).toMatchObject({ method: "GET", path: "/v1/me" });
    expect(stdout).toContain("break_glass admin_token (SDGATE_ADMIN_TOKEN)");
    expect(stdout).toMatch(/roles:\s+admin/);
    expect(stdout).toMatch(/teams:\s+Search \(team_admin\)/);
    expect(stdout).toMatch(/permissions:\s+keys\.read, audit\.read/);
  });

  it("refuses an unexpected argument before any request", async () => {
    const { code, request } = await sdgate(["whoami", "extra"]);
    expect(code).toBe(2);
    expect(request).toBeUndefined();
  });
});
