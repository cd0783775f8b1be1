import { describe, expect, it } from "vitest";
import type { Membership, User } from "./directory/index.ts";
import { mayEverywhere, mayInTeam, userPrincipal } from "./principal.ts";

const ADA: User = {
  id: "usr_ada",
  issuer: "https://idp.example.com",
  subject: "ada",
  email: "ada@example.com",
  name: "Ada",
  idp_groups: [],
  created_at: "2026-12-06T00:00:00Z",
  last_sign_in_at: null,
  disabled_at: null,
};

function member(team_id: string | null, role: Membership["role"]): Membership {
  return {
    user_id: ADA.id,
    team_id,
    team_name: team_id,
    role,
    source_group: null,
    created_at: ADA.created_at,
  };
}

describe("a person's principal", () => {
  it("has no permission without a membership: least privilege, never admin", () => {
    const nobody = userPrincipal(ADA, []);
    expect(nobody).toMatchObject({ kind: "user", roles: [], teams: [], permissions: [] });
    expect(mayEverywhere(nobody, "models.read")).toBe(false);
  });

  it("grants a team role's permissions in that team only, and never everywhere", () => {
    const dev = userPrincipal(ADA, [member("team_a", "developer")]);
    expect(dev.teams).toEqual([{ id: "team_a", name: "team_a", role: "developer" }]);
    expect(dev.permissions).toContain("images.generate");
    expect(mayInTeam(dev, "keys.create", "team_a")).toBe(true);
    expect(mayInTeam(dev, "keys.create", "team_b")).toBe(false);
    expect(mayInTeam(dev, "members.manage", "team_a")).toBe(false);
    expect(mayEverywhere(dev, "keys.create")).toBe(false);
  });

  it("grants a global role everywhere and in every team", () => {
    const admin = userPrincipal(ADA, [member(null, "admin"), member("team_a", "viewer")]);
    expect(admin.roles).toEqual(["admin"]);
    expect(mayEverywhere(admin, "audit.read")).toBe(true);
    expect(mayInTeam(admin, "members.manage", "team_z")).toBe(true);
    const billing = userPrincipal(ADA, [member(null, "billing")]);
    expect(billing.permissions).toEqual(["usage.read"]);
    expect(mayEverywhere(billing, "keys.read")).toBe(false);
  });
});
