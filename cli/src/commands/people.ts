import type { MembershipView, Person } from "@sdgate/sdk";
import type { Io } from "../io.ts";
import { adminClient, CONNECTION_OPTIONS, parse, wholeNumber } from "../options.ts";
import { table } from "../table.ts";
import { exactly, printJson, withSubcommands } from "./subcommands.ts";

export const PEOPLE_USAGE = `Usage: sdgate people <list|show|deprovision|enable> [options]

  sdgate people list [--email <email>] [--limit N] [--cursor C]   (newest first)
  sdgate people show <person id>                   (groups and memberships)
  sdgate people deprovision <person id> [--reassign-keys-to <person id>]
                     (disables them, ends their sessions now, and revokes the keys they made
                      unless a global admin or their team's admin takes them over)
  sdgate people enable <person id>                 (they may sign in again; revoked keys stay revoked)

Options for every subcommand:
  --url <url>            the edge (default: $SDGATE_URL)
  --admin-token <token>  the admin token (default: $SDGATE_ADMIN_TOKEN)
  --json                 print the API's JSON instead of a table`;

/** `developer in Search (team_…)`, `admin everywhere`, with where a rule gave it. */
export function membershipText(m: MembershipView): string {
  const where = m.team_id === null ? "everywhere" : `in ${m.team_name ?? "?"} (${m.team_id})`;
  return `${m.role} ${where}${m.source_group === null ? "" : ` from group ${m.source_group}`}`;
}

const statusOf = (person: Person) => (person.disabled_at === null ? "active" : "disabled");

async function list(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    limit: { type: "string" },
    cursor: { type: "string" },
    email: { type: "string" },
  });
  exactly(positionals, [], "people list");
  const limit = wholeNumber("limit", values.limit, 1);
  const page = await adminClient(values, io).people.list({
    ...(limit === undefined ? {} : { limit }),
    ...(values.cursor === undefined ? {} : { cursor: values.cursor }),
    ...(values.email === undefined ? {} : { email: values.email }),
  });
  if (values.json) return printJson(io, page);
  const rows = page.data.map((person) => [
    person.id,
    person.email ?? "-",
    person.name ?? "-",
    person.memberships.map((m) => `${m.role}@${m.team_name ?? "all"}`).join(",") || "-",
    person.last_sign_in_at ?? "never",
    statusOf(person),
  ]);
  io.out(`${table(["ID", "EMAIL", "NAME", "ROLES", "LAST SIGN-IN", "STATUS"], rows)}\n`);
  if (page.next_cursor) io.out(`More: sdgate people list --cursor ${page.next_cursor}\n`);
}

function printPerson(io: Io, person: Person): void {
  io.out(
    `${person.id} · ${person.email ?? "no email"} · ${person.name ?? "no name"} · ${statusOf(person)}\n`,
  );
  io.out(`Identity: ${person.subject} at ${person.issuer}\n`);
  io.out(`Groups: ${person.groups.length > 0 ? person.groups.join(", ") : "none"}\n`);
  if (person.memberships.length === 0) io.out("Roles: none\n");
  for (const m of person.memberships) io.out(`Role: ${membershipText(m)}\n`);
}

async function show(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = ""] = exactly(positionals, ["a person's id (see sdgate people list)"], "people show");
  const person = await adminClient(values, io).people.get(id);
  if (values.json) printJson(io, person);
  else printPerson(io, person);
}

async function deprovision(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    "reassign-keys-to": { type: "string" },
  });
  const [id = ""] = exactly(positionals, ["a person's id (see sdgate people list)"], "people deprovision");
  const successor = values["reassign-keys-to"];
  const done = await adminClient(values, io).people.deprovision(
    id,
    successor === undefined ? {} : { reassign_keys_to: successor },
  );
  if (values.json) return printJson(io, done);
  io.out(
    `Deprovisioned ${id} (${done.person.email ?? "no email"}): ${done.sessions_revoked} sessions ended.\n`,
  );
  io.out(`Keys revoked: ${done.keys_revoked.length > 0 ? done.keys_revoked.join(", ") : "none"}\n`);
  for (const key of done.keys_reassigned) io.out(`Key ${key.key_id} now belongs to ${key.to}\n`);
}

async function enable(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = ""] = exactly(positionals, ["a person's id (see sdgate people list)"], "people enable");
  const person = await adminClient(values, io).people.enable(id);
  if (values.json) return printJson(io, person);
  io.out(`Enabled ${person.id} (${person.email ?? "no email"}): they may sign in again.\n`);
}

/** `sdgate people …`: the people who have signed in. */
export const people = withSubcommands("people", "list, show, deprovision and enable people", PEOPLE_USAGE, {
  list,
  show,
  deprovision,
  enable,
});
