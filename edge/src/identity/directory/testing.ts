import { env } from "cloudflare:workers";
import type { Role } from "@sdgate/shared";
import { expect } from "vitest";
import type { Team } from "./records.ts";
import { createRoleMapping, type RoleMapping } from "./role-mappings.ts";
import { type SignedIn, signIn, type VerifiedIdentity } from "./sign-in.ts";
import { createTeam } from "./teams.ts";

/** Test helpers for the directory. Edge test files share one D1: every name here is fresh. */
export const db = env.DB;

export const unique = (label: string) => `${label}-${crypto.randomUUID()}`;

/** An identity no other test uses, at a test issuer. */
export function identity(groups: string[] = [], overrides: Partial<VerifiedIdentity> = {}): VerifiedIdentity {
  const subject = unique("sub");
  return {
    issuer: "https://idp.test.example",
    subject,
    email: `${subject}@example.com`,
    name: "Test Person",
    groups,
    ...overrides,
  };
}

export async function newTeam(label = "team"): Promise<Team> {
  const created = await createTeam(db, unique(label));
  if (!created.ok) throw new Error(`newTeam: ${created.error}`);
  return created.value.after;
}

export async function rule(idp_group: string, team_id: string | null, role: Role): Promise<RoleMapping> {
  const created = await createRoleMapping(db, { idp_group, team_id, role, created_by: "test" });
  if (!created.ok) throw new Error(`rule: ${created.error}`);
  return created.value.after;
}

/** Signs `who` in and expects it to work. */
export async function signedIn(who: VerifiedIdentity, now?: Date): Promise<SignedIn> {
  const result = await signIn(db, who, now);
  if (!result.ok) expect.fail(`sign-in refused: ${result.error}`);
  return result.value;
}

/** Memberships as `[team id or "global", role, source group]`, for short assertions. */
export function roles(
  memberships: readonly { team_id: string | null; role: Role; source_group: string | null }[],
) {
  return memberships.map((m) => [m.team_id ?? "global", m.role, m.source_group]);
}
