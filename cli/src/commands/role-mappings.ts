import { ROLES, type Role, type RoleMappingChangeView } from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { table } from "../table.ts";
import { exactly, printJson, withSubcommands } from "./subcommands.ts";

export const ROLE_MAPPINGS_USAGE = `Usage: sdgate role-mappings <list|create|update|delete|deprovision-group> [options]

  sdgate role-mappings list
  sdgate role-mappings create --group <IdP group> --role <role> [--team <team id>]
                     (members of the group get the role in the team, or everywhere without --team;
                      it applies at once to the people whose groups include it)
  sdgate role-mappings update <mapping id> --role <role>
  sdgate role-mappings delete <mapping id>         (what it gave ends at once)
  sdgate role-mappings deprovision-group <IdP group>
                     (deletes the group's rules, ends what it gave now, signs out people left with none)
                     (roles: ${ROLES.join(", ")}; admin only without --team)

Options for every subcommand:
  --url <url>            the edge (default: $SDGATE_URL)
  --admin-token <token>  the admin token (default: $SDGATE_ADMIN_TOKEN)
  --json                 print the API's JSON instead of a table`;

const MAPPING_ID = "a mapping id (see sdgate role-mappings list)";

function roleOf(value: string | undefined, command: string): Role {
  if (value === undefined) throw new UsageError(`${command} needs --role (${ROLES.join(", ")}).`);
  const role = ROLES.find((r) => r === value);
  if (role === undefined) throw new UsageError(`--role must be one of ${ROLES.join(", ")}, got '${value}'.`);
  return role;
}

function printChange(io: Io, verb: string, rule: RoleMappingChangeView): void {
  const where = rule.team_id === null ? "everywhere" : `in team ${rule.team_id}`;
  io.out(`${verb} ${rule.id}: group ${rule.idp_group} → ${rule.role} ${where}\n`);
  io.out(
    `People changed at once: ${rule.people_changed.length > 0 ? rule.people_changed.join(", ") : "none"}\n`,
  );
}

async function list(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  exactly(positionals, [], "role-mappings list");
  const rules = await adminClient(values, io).roleMappings.list();
  if (values.json) return printJson(io, rules);
  const rows = rules.data.map((r) => [r.id, r.idp_group, r.team_id ?? "everywhere", r.role, r.created_by]);
  io.out(`${table(["ID", "GROUP", "TEAM", "ROLE", "CREATED BY"], rows)}\n`);
}

async function create(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    group: { type: "string" },
    team: { type: "string" },
    role: { type: "string" },
  });
  exactly(positionals, [], "role-mappings create");
  if (!values.group) throw new UsageError("role-mappings create needs --group.");
  const role = roleOf(values.role, "role-mappings create");
  const rule = await adminClient(values, io).roleMappings.create({
    idp_group: values.group,
    role,
    ...(values.team === undefined ? {} : { team_id: values.team }),
  });
  if (values.json) printJson(io, rule);
  else printChange(io, "Created", rule);
}

async function update(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, role: { type: "string" } });
  const [id = ""] = exactly(positionals, [MAPPING_ID], "role-mappings update");
  const role = roleOf(values.role, "role-mappings update");
  const rule = await adminClient(values, io).roleMappings.update(id, { role });
  if (values.json) printJson(io, rule);
  else printChange(io, "Updated", rule);
}

async function remove(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = ""] = exactly(positionals, [MAPPING_ID], "role-mappings delete");
  const rule = await adminClient(values, io).roleMappings.delete(id);
  if (values.json) printJson(io, rule);
  else printChange(io, "Deleted", rule);
}

async function deprovisionGroup(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [group = ""] = exactly(positionals, ["an IdP group"], "role-mappings deprovision-group");
  const done = await adminClient(values, io).roleMappings.deprovisionGroup(group);
  if (values.json) return printJson(io, done);
  io.out(`Deprovisioned group ${group}: ${done.role_mappings_deleted.length} rules deleted, `);
  io.out(`${done.people_changed.length} people changed, ${done.sessions_ended.length} signed out.\n`);
}

/** `sdgate role-mappings …`: the rules that give an identity provider's groups roles. */
export const roleMappings = withSubcommands(
  "role-mappings",
  "map identity-provider groups to roles, and remove a group",
  ROLE_MAPPINGS_USAGE,
  { list, create, update, delete: remove, "deprovision-group": deprovisionGroup },
);
