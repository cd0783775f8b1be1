import { ROLES } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { grantsFor, ROLE_PRECEDENCE, type RoleRule } from "./rules.ts";

const rules: RoleRule[] = [
  { idp_group: "eng", team_id: "team_a", role: "viewer" },
  { idp_group: "eng-leads", team_id: "team_a", role: "team_admin" },
  { idp_group: "ml", team_id: "team_a", role: "developer" },
  { idp_group: "ml", team_id: "team_b", role: "developer" },
  { idp_group: "finance", team_id: null, role: "billing" },
  { idp_group: "sdgate-admins", team_id: null, role: "admin" },
];

describe("role-mapping rules", () => {
  it("rank every role once", () => {
    expect([...ROLE_PRECEDENCE].sort()).toEqual([...ROLES].sort());
  });

  it("give nothing to someone whose groups match no rule", () => {
    expect(grantsFor(rules, [])).toEqual([]);
    expect(grantsFor(rules, ["Eng", "sales", "sdgate-admins "])).toEqual([]);
  });

  it("give the most privileged role per team, naming the group it came from", () => {
    expect(grantsFor(rules, ["eng", "ml", "eng-leads"])).toEqual([
      { team_id: "team_a", role: "team_admin", source_group: "eng-leads" },
      { team_id: "team_b", role: "developer", source_group: "ml" },
    ]);
  });

  it("keep global roles apart from team roles, the global one first", () => {
    expect(grantsFor(rules, ["ml", "finance"])).toEqual([
      { team_id: null, role: "billing", source_group: "finance" },
      { team_id: "team_a", role: "developer", source_group: "ml" },
      { team_id: "team_b", role: "developer", source_group: "ml" },
    ]);
    expect(grantsFor(rules, ["finance", "sdgate-admins"])).toEqual([
      { team_id: null, role: "admin", source_group: "sdgate-admins" },
    ]);
  });

  it("answer the same whatever the order of rules and groups", () => {
    const tie: RoleRule[] = [
      { idp_group: "zeta", team_id: "team_a", role: "viewer" },
      { idp_group: "alpha", team_id: "team_a", role: "viewer" },
      ...rules,
    ];
    const groups = ["zeta", "eng", "alpha", "ml"];
    const expected = grantsFor(tie, groups);
    expect(expected[0]).toEqual({ team_id: "team_a", role: "developer", source_group: "ml" });
    expect(grantsFor([...tie].reverse(), [...groups].reverse())).toEqual(expected);
    const viewers = tie.filter((r) => r.role === "viewer");
    expect(grantsFor(viewers, groups)).toEqual([
      { team_id: "team_a", role: "viewer", source_group: "alpha" },
    ]);
    expect(grantsFor([...viewers].reverse(), groups)).toEqual(grantsFor(viewers, groups));
  });
});
