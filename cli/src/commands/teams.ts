import { TEAM_ROLES } from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { table } from "../table.ts";
import { exactly, printJson, withSubcommands } from "./subcommands.ts";
import { BUDGET_USAGE, budget } from "./team-budget.ts";
import { TEAM_MODELS_USAGE, teamModels } from "./team-models.ts";
import { POLICY_USAGE, policy } from "./team-policy.ts";

export const TEAMS_USAGE = `Usage: sdgate teams <list|create|rename|delete|members|add-member|set-role|remove-member|budget|policy|models> [options]

  sdgate teams list
  sdgate teams create <name>                       (names are unique whatever their case)
  sdgate teams rename <team id> <new name>
  sdgate teams delete <team id>                    (refused while the team owns a key that works)
  sdgate teams members <team id>
  sdgate teams add-member <team id> <person id> --role <role>
  sdgate teams set-role <team id> <person id> --role <role>
  sdgate teams remove-member <team id> <person id>
                     (roles: ${TEAM_ROLES.join(", ")}; admin is global: see sdgate role-mappings)
${BUDGET_USAGE}
${POLICY_USAGE}
${TEAM_MODELS_USAGE}

Options for every subcommand:
  --url <url>            the edge (default: $SDGATE_URL)
  --admin-token <token>  the admin token (default: $SDGATE_ADMIN_TOKEN)
  --json                 print the API's JSON instead of a table`;

const TEAM_ID = "a team id (see sdgate teams list)";
const PERSON_ID = "a person's id (see sdgate people list)";

type TeamRole = (typeof TEAM_ROLES)[number];

function roleOf(value: string | undefined, command: string): TeamRole {
  if (value === undefined) throw new UsageError(`${command} needs --role (${TEAM_ROLES.join(", ")}).`);
  const role = TEAM_ROLES.find((r) => r === value);
  if (role === undefined)
    throw new UsageError(`--role must be one of ${TEAM_ROLES.join(", ")}, got '${value}'.`);
  return role;
}

async function list(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  exactly(positionals, [], "teams list");
  const teams = await adminClient(values, io).teams.list();
  if (values.json) return printJson(io, teams);
  io.out(
    `${table(
      ["ID", "NAME", "CREATED"],
      teams.data.map((t) => [t.id, t.name, t.created_at]),
    )}\n`,
  );
}

async function create(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [name = ""] = exactly(positionals, ["a name"], "teams create");
  const team = await adminClient(values, io).teams.create(name);
  if (values.json) return printJson(io, team);
  io.out(`Created ${team.id} (${team.name})\n`);
}

async function rename(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = "", name = ""] = exactly(positionals, [TEAM_ID, "a new name"], "teams rename");
  const team = await adminClient(values, io).teams.rename(id, name);
  if (values.json) return printJson(io, team);
  io.out(`Renamed ${team.id} to ${team.name}\n`);
}

async function remove(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = ""] = exactly(positionals, [TEAM_ID], "teams delete");
  const team = await adminClient(values, io).teams.delete(id);
  if (values.json) return printJson(io, team);
  io.out(`Deleted ${team.id} (${team.name}) with its memberships and role mappings.\n`);
}

async function members(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = ""] = exactly(positionals, [TEAM_ID], "teams members");
  const list = await adminClient(values, io).teams.members(id);
  if (values.json) return printJson(io, list);
  const rows = list.data.map((m) => [
    m.user_id,
    m.email ?? "-",
    m.name ?? "-",
    m.role,
    m.source_group === null ? "by hand" : `group ${m.source_group}`,
    m.disabled_at === null ? "active" : "disabled",
  ]);
  io.out(`${table(["PERSON", "EMAIL", "NAME", "ROLE", "GIVEN", "STATUS"], rows)}\n`);
}

async function addMember(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, role: { type: "string" } });
  const [id = "", userId = ""] = exactly(positionals, [TEAM_ID, PERSON_ID], "teams add-member");
  const role = roleOf(values.role, "teams add-member");
  const membership = await adminClient(values, io).teams.addMember(id, { user_id: userId, role });
  if (values.json) return printJson(io, membership);
  io.out(`Added ${userId} to ${membership.team_name ?? id} as ${membership.role}\n`);
}

async function setRole(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, role: { type: "string" } });
  const [id = "", userId = ""] = exactly(positionals, [TEAM_ID, PERSON_ID], "teams set-role");
  const role = roleOf(values.role, "teams set-role");
  const membership = await adminClient(values, io).teams.updateMember(id, userId, { role });
  if (values.json) return printJson(io, membership);
  io.out(`${userId} is now ${membership.role} in ${membership.team_name ?? id} (given by hand)\n`);
}

async function removeMember(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = "", userId = ""] = exactly(positionals, [TEAM_ID, PERSON_ID], "teams remove-member");
  const removed = await adminClient(values, io).teams.removeMember(id, userId);
  if (values.json) return printJson(io, removed);
  io.out(`Removed ${userId} (${removed.role}) from ${removed.team_name ?? id}\n`);
  if (removed.source_group !== null)
    io.out(
      `A role mapping for group ${removed.source_group} gave it: it returns at their next sign-in unless the rule or their group changes.\n`,
    );
}

/** `sdgate teams …`: teams and their members. */
export const teams = withSubcommands("teams", "create teams and manage their members", TEAMS_USAGE, {
  list,
  create,
  rename,
  delete: remove,
  members,
  "add-member": addMember,
  "set-role": setRole,
  "remove-member": removeMember,
  budget,
  policy,
  models: teamModels,
});
