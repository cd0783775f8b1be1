import type { Role } from "@sdgate/shared";

/**
 * Which role wins when a person would get several in one scope (a team, or globally): the first in
 * this list. It follows the breadth of `ROLE_PERMISSIONS`; `developer` outranks `model_approver`, so
 * someone who must both generate and approve in one team needs `team_admin` or two teams. Written
 * once: sign-in, rule changes and deprovisioning all pick through {@link grantsFor}.
 */
export const ROLE_PRECEDENCE: readonly Role[] = [
  "admin",
  "team_admin",
  "developer",
  "model_approver",
  "viewer",
  "billing",
];

/** A role-mapping rule: members of `idp_group` get `role` in `team_id` (`null`: globally). */
export interface RoleRule {
  idp_group: string;
  team_id: string | null;
  role: Role;
}

/** A membership a rule gives, with the group it came from. */
export interface Grant {
  team_id: string | null;
  role: Role;
  source_group: string;
}

function outranks(a: RoleRule, b: RoleRule): boolean {
  const rank = ROLE_PRECEDENCE.indexOf(a.role) - ROLE_PRECEDENCE.indexOf(b.role);
  // Same role from two groups: the group first in code-unit order is named, so the answer is stable.
  return rank < 0 || (rank === 0 && a.idp_group < b.idp_group);
}

/**
 * The memberships a person's IdP groups give under `rules`: per scope, the most privileged matching
 * role ({@link ROLE_PRECEDENCE}). No matching rule, no membership: nobody gets a role by default.
 * Groups match exactly (case included). Sorted by scope, the global one first.
 *
 * @example
 * grantsFor([{ idp_group: "ml", team_id: "team_1", role: "developer" }], ["ml", "all"]);
 * // [{ team_id: "team_1", role: "developer", source_group: "ml" }]
 */
export function grantsFor(rules: readonly RoleRule[], groups: Iterable<string>): Grant[] {
  const member = new Set(groups);
  const best = new Map<string, RoleRule>();
  for (const rule of rules) {
    if (!member.has(rule.idp_group)) continue;
    const scope = rule.team_id ?? "";
    const held = best.get(scope);
    if (held === undefined || outranks(rule, held)) best.set(scope, rule);
  }
  return [...best.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, rule]) => ({ team_id: rule.team_id, role: rule.role, source_group: rule.idp_group }));
}
