import { type Principal, permissionsOf, ROLES, type Role } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { ADMIN_PAGE_PERMISSIONS, mayInTeam, sectionsFor } from "./sections.ts";

/** A person with one role: everywhere for `admin`, else in one team. */
function personWith(role: Role): Principal {
  const global = role === "admin";
  return {
    object: "principal",
    kind: "user",
    id: `usr_${role}`,
    name: role,
    email: null,
    teams: global ? [] : [{ id: "team_a", name: "A", role }],
    roles: global ? [role] : [],
    permissions: permissionsOf([role]),
  };
}

const ids = (role: Role) => sectionsFor(personWith(role)).map((section) => section.id);

describe("the admin sections each role sees", () => {
  it("opens every section to an admin", () => {
    expect(ids("admin")).toEqual([
      "people",
      "teams",
      "role-mappings",
      "keys",
      "budgets",
      "audit",
      "backends",
    ]);
  });

  it("opens a team admin's own teams and budgets only: the key list and the audit log are deployment-wide", () => {
    expect(ids("team_admin")).toEqual(["teams", "budgets"]);
  });

  it("opens the team's budget to the roles that read usage, and nothing to a model approver", () => {
    expect(ids("developer")).toEqual(["budgets"]);
    expect(ids("viewer")).toEqual(["budgets"]);
    expect(ids("billing")).toEqual(["budgets"]);
    expect(ids("model_approver")).toEqual([]);
  });

  it("shows the Admin page to exactly the roles with a section", () => {
    for (const role of ROLES) {
      const holdsOne = ADMIN_PAGE_PERMISSIONS.some((permission) =>
        personWith(role).permissions.includes(permission),
      );
      expect(holdsOne, role).toBe(ids(role).length > 0);
    }
  });

  it("counts a team role only in its own team", () => {
    const teamAdmin = personWith("team_admin");
    expect(mayInTeam(teamAdmin, "members.manage", "team_a")).toBe(true);
    expect(mayInTeam(teamAdmin, "members.manage", "team_b")).toBe(false);
    expect(mayInTeam(personWith("admin"), "members.manage", "team_b")).toBe(true);
  });
});
