import type { Principal } from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { moneyOnly, usageTeams } from "./usage-scope.ts";

const person = (
  roles: Principal["roles"],
  teams: Array<[string, Principal["roles"][number]]>,
): Principal => ({
  object: "principal",
  kind: "user",
  id: "usr_1",
  name: null,
  email: null,
  roles,
  teams: teams.map(([id, role]) => ({ id, name: id, role })),
  permissions: [],
});

describe("what usage a person sees", () => {
  it("is money only for billing, full for those who may read runs, as the edge decides", () => {
    expect(moneyOnly(person([], [["team_a", "billing"]]), null)).toBe(true);
    expect(moneyOnly(person(["billing"], []), null)).toBe(true);
    expect(moneyOnly(person(["admin"], []), null)).toBe(false);
    const mixed = person(
      [],
      [
        ["team_a", "billing"],
        ["team_b", "developer"],
      ],
    );
    expect(moneyOnly(mixed, null)).toBe(true);
    expect(moneyOnly(mixed, "team_b")).toBe(false);
    expect(moneyOnly(mixed, "team_a")).toBe(true);
  });

  it("covers the teams whose role grants usage.read", () => {
    const approver = person(
      [],
      [
        ["team_a", "model_approver"],
        ["team_b", "viewer"],
      ],
    );
    expect(usageTeams(approver).map((team) => team.id)).toEqual(["team_b"]);
  });
});
