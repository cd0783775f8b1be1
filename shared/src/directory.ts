import { z } from "zod";
import { ROLES, roleSchema } from "./permissions.ts";

/**
 * People, teams, their memberships and the rules that map an identity provider's groups to roles, as
 * the admin API shows them (`/admin/people`, `/admin/teams`, `/admin/role-mappings`).
 */

/** A person's id (`usr_0f1e2d3c4b5a6978`), checked before it reaches storage. */
export const USER_ID_PATTERN = /^usr_[0-9a-f]{16}$/;
/** A team's id (`team_0f1e2d3c4b5a6978`). */
export const TEAM_ID_PATTERN = /^team_[0-9a-f]{16}$/;
/** A role mapping's id (`map_0f1e2d3c4b5a6978`). */
export const ROLE_MAPPING_ID_PATTERN = /^map_[0-9a-f]{16}$/;

/** The longest team name, in UTF-16 code units (the directory refuses longer ones too). */
export const MAX_TEAM_NAME_CHARS = 64;
/** The longest identity-provider group name a rule may name. */
export const MAX_IDP_GROUP_CHARS = 256;

/** The most people one `GET /admin/people` answers with, and how many unless it asks. */
export const MAX_PEOPLE_PAGE = 500;
export const DEFAULT_PEOPLE_PAGE = 100;

const userId = z
  .string("must be a person's id (usr_…)")
  .regex(USER_ID_PATTERN, "must be a person's id (usr_…)");
const teamId = z
  .string("must be a team's id (team_…)")
  .regex(TEAM_ID_PATTERN, "must be a team's id (team_…)");

/** A role in one team: every role but `admin`, which is held everywhere or not at all. */
export const TEAM_ROLES = ROLES.filter((role) => role !== "admin") as Exclude<
  (typeof ROLES)[number],
  "admin"
>[];
const teamRole = z.enum(
  TEAM_ROLES,
  `must be one of ${TEAM_ROLES.join(", ")} (admin is a global role, given by a role mapping without a team)`,
);

/** A person's role in a team, or everywhere (`team_id: null`). */
export const membershipSchema = z.object({
  user_id: z.string(),
  team_id: z.string().nullable(),
  team_name: z.string().nullable(),
  role: roleSchema,
  /** The identity provider's group whose rule gave it; `null`: given by hand (sign-in leaves it alone). */
  source_group: z.string().nullable(),
  created_at: z.string(),
});
export type MembershipView = z.infer<typeof membershipSchema>;

/** A person as the directory knows them: who the identity provider says they are, and their roles. */
export const personSchema = z.object({
  id: z.string(),
  /** The identity provider (an OIDC issuer, or Cloudflare Access's team domain). */
  issuer: z.string(),
  /** Their id at the identity provider, which never changes (an email can). */
  subject: z.string(),
  email: z.string().nullable(),
  name: z.string().nullable(),
  /** The identity provider's groups at their last sign-in. */
  groups: z.array(z.string()),
  created_at: z.string(),
  last_sign_in_at: z.string().nullable(),
  /** Set while they are deprovisioned: no sign-in, no session. */
  disabled_at: z.string().nullable(),
  memberships: z.array(membershipSchema),
});
export type Person = z.infer<typeof personSchema>;

/**
 * `GET /admin/people`'s query: a page of `limit` people, after the previous page's `cursor`;
 * `email` finds the people with that email (whatever its case).
 *
 * @example
 * personListQuerySchema.parse({}).limit; // DEFAULT_PEOPLE_PAGE
 */
export const personListQuerySchema = z.object({
  limit: z.coerce.number<number>().int().min(1).max(MAX_PEOPLE_PAGE).default(DEFAULT_PEOPLE_PAGE),
  /** The previous page's `next_cursor`. */
  cursor: z.string().max(512).optional(),
  email: z.string().min(1).max(320).optional(),
});
export type PersonListQuery = z.input<typeof personListQuerySchema>;

/** `GET /admin/people`: people, newest first. */
export const personListSchema = z.object({
  object: z.literal("list"),
  data: z.array(personSchema),
  /** Pass as `cursor` for the next page; `null` on the last. */
  next_cursor: z.string().nullable(),
});
export type PersonList = z.infer<typeof personListSchema>;

/**
 * `POST /admin/people/{id}/deprovision`: who takes over the keys the person made (a global admin, or a
 * team admin of every such key's team); absent, the keys are revoked.
 *
 * @example
 * const body: DeprovisionPersonBody = { reassign_keys_to: "usr_0f1e2d3c4b5a6978" };
 */
export const deprovisionPersonBodySchema = z.strictObject({ reassign_keys_to: userId.optional() });
export type DeprovisionPersonBody = z.input<typeof deprovisionPersonBodySchema>;

/** What deprovisioning did: the person disabled, their sessions ended, their keys revoked or handed on. */
export const deprovisionedPersonSchema = z.object({
  person: personSchema,
  sessions_revoked: z.number().int().min(0),
  keys_revoked: z.array(z.string()),
  keys_reassigned: z.array(z.object({ key_id: z.string(), from: z.string(), to: z.string() })),
});
export type DeprovisionedPerson = z.infer<typeof deprovisionedPersonSchema>;

export const teamSchema = z.object({ id: z.string(), name: z.string(), created_at: z.string() });
export type TeamView = z.infer<typeof teamSchema>;

/** `GET /admin/teams`: every team, by name. */
export const teamListSchema = z.object({ object: z.literal("list"), data: z.array(teamSchema) });
export type TeamList = z.infer<typeof teamListSchema>;

const teamName = z
  .string("must be a string")
  .trim()
  .min(1, "must not be empty")
  .max(MAX_TEAM_NAME_CHARS, `must be at most ${MAX_TEAM_NAME_CHARS} characters`);

/**
 * `POST /admin/teams` and `PATCH /admin/teams/{id}`: the team's name, unique whatever its case.
 *
 * @example
 * const body: TeamBody = { name: "Search" };
 */
export const teamBodySchema = z.strictObject({ name: teamName });
export type TeamBody = z.input<typeof teamBodySchema>;

/** A deleted team, as it was. */
export const deletedTeamSchema = teamSchema.extend({ deleted: z.literal(true) });
export type DeletedTeam = z.infer<typeof deletedTeamSchema>;

/** A member of a team: their membership, and who they are. */
export const teamMemberSchema = membershipSchema.extend({
  email: z.string().nullable(),
  name: z.string().nullable(),
  disabled_at: z.string().nullable(),
});
export type TeamMember = z.infer<typeof teamMemberSchema>;

/** `GET /admin/teams/{id}/members`: the team's members, by person id. */
export const teamMemberListSchema = z.object({ object: z.literal("list"), data: z.array(teamMemberSchema) });
export type TeamMemberList = z.infer<typeof teamMemberListSchema>;

/**
 * `POST /admin/teams/{id}/members`: a person given a role in the team by hand.
 *
 * @example
 * const body: AddTeamMemberBody = { user_id: "usr_0f1e2d3c4b5a6978", role: "developer" };
 */
export const addTeamMemberBodySchema = z.strictObject({ user_id: userId, role: teamRole });
export type AddTeamMemberBody = z.input<typeof addTeamMemberBodySchema>;

/** `PATCH /admin/teams/{id}/members/{user_id}`: their new role (from now on given by hand). */
export const updateTeamMemberBodySchema = z.strictObject({ role: teamRole });
export type UpdateTeamMemberBody = z.input<typeof updateTeamMemberBodySchema>;

/** A membership removed, as it was. */
export const removedMemberSchema = membershipSchema.extend({ removed: z.literal(true) });
export type RemovedMember = z.infer<typeof removedMemberSchema>;

/** A rule: members of `idp_group` get `role` in `team_id` (`null`: everywhere). */
export const roleMappingSchema = z.object({
  id: z.string(),
  idp_group: z.string(),
  team_id: z.string().nullable(),
  role: roleSchema,
  created_at: z.string(),
  /** Who made it, as the audit names actors (`user:usr_…`, `break_glass`). */
  created_by: z.string(),
});
export type RoleMappingView = z.infer<typeof roleMappingSchema>;

/** `GET /admin/role-mappings`: every rule, by group. */
export const roleMappingListSchema = z.object({
  object: z.literal("list"),
  data: z.array(roleMappingSchema),
});
export type RoleMappingList = z.infer<typeof roleMappingListSchema>;

const idpGroup = z
  .string("must be a string")
  .min(1, "must not be empty")
  .max(MAX_IDP_GROUP_CHARS, `must be at most ${MAX_IDP_GROUP_CHARS} characters`)
  .refine((group) => group.trim() === group, "must not start or end with spaces");

/**
 * `POST /admin/role-mappings`: members of `idp_group` get `role` in `team_id` (absent or `null`:
 * everywhere; `admin` only so).
 *
 * @example
 * const body: CreateRoleMappingBody = { idp_group: "ml-eng", team_id: "team_0f1e2d3c4b5a6978", role: "developer" };
 */
export const createRoleMappingBodySchema = z.strictObject({
  idp_group: idpGroup,
  team_id: teamId.nullable().default(null),
  role: roleSchema,
});
export type CreateRoleMappingBody = z.input<typeof createRoleMappingBodySchema>;

/** `PATCH /admin/role-mappings/{id}`: the role the rule gives. */
export const updateRoleMappingBodySchema = z.strictObject({ role: roleSchema });
export type UpdateRoleMappingBody = z.input<typeof updateRoleMappingBodySchema>;

/** A rule made, changed or deleted, and the people whose memberships that changed at once. */
export const roleMappingChangeSchema = roleMappingSchema.extend({
  /** Ids of the people whose memberships changed. */
  people_changed: z.array(z.string()),
  /** Only on deletion. */
  deleted: z.literal(true).optional(),
});
export type RoleMappingChangeView = z.infer<typeof roleMappingChangeSchema>;

/** `POST /admin/groups/deprovision`: an identity provider's group to remove from sdgate. */
export const deprovisionGroupBodySchema = z.strictObject({ idp_group: idpGroup });
export type DeprovisionGroupBody = z.input<typeof deprovisionGroupBodySchema>;

/** What removing a group did. */
export const deprovisionedGroupSchema = z.object({
  idp_group: z.string(),
  /** Its rules, all deleted. */
  role_mappings_deleted: z.array(roleMappingSchema),
  /** Ids of the people whose memberships changed. */
  people_changed: z.array(z.string()),
  /** People left with no membership at all, whose sessions ended. */
  sessions_ended: z.array(z.object({ user_id: z.string(), sessions_revoked: z.number().int().min(0) })),
});
export type DeprovisionedGroup = z.infer<typeof deprovisionedGroupSchema>;
