export {
  type Deprovisioned,
  type DeprovisionedGroup,
  type DeprovisionOptions,
  type DeprovisionProblem,
  deprovisionGroup,
  deprovisionUser,
} from "./deprovision.ts";
export { type KeyOwner, liveKeysCreatedBy, recordKeyOwner } from "./key-owners.ts";
export {
  type AddMemberProblem,
  addMember,
  changeMemberRole,
  listTeamMembers,
  type MemberScope,
  removeMember,
} from "./members.ts";
export {
  type MembershipChange,
  membershipsFrom,
  membershipsOf,
  membershipsStatement,
  rulesFor,
} from "./memberships.ts";
export {
  type Change,
  CorruptDirectoryRowError,
  type Membership,
  type Team,
  USER_COLUMNS,
  type User,
  type UserRow,
  userFromRow,
} from "./records.ts";
export {
  changeRoleMapping,
  createRoleMapping,
  deleteRoleMapping,
  getRoleMapping,
  listRoleMappings,
  type RoleMapping,
  type RoleMappingChange,
  type RoleMappingProblem,
} from "./role-mappings.ts";
export { type Grant, grantsFor, ROLE_PRECEDENCE, type RoleRule } from "./rules.ts";
export { type SignedIn, type SignInProblem, signIn, type VerifiedIdentity } from "./sign-in.ts";
export {
  createTeam,
  type DeletedTeam,
  deleteTeam,
  getTeam,
  listTeams,
  MAX_TEAM_NAME_CHARS,
  renameTeam,
  type TeamNameProblem,
} from "./teams.ts";
export { disableUser, enableUser, findUserByIdentity, getUser } from "./users.ts";
