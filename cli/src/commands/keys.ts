import {
  KEY_STATUSES,
  type KeyLimits,
  type KeyStatus,
  type KeyWithSecret,
  type UpdateKeyBody,
} from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { adminClient, CONNECTION_OPTIONS, parse, wholeNumber } from "../options.ts";
import { table } from "../table.ts";
import type { Command } from "./command.ts";
import { KEY_OPTIONS, keyFields } from "./key-fields.ts";

export const KEYS_USAGE = `Usage: sdgate keys <create|list|get|update|revoke|rotate> [options]

  sdgate keys create --name <name> [--scope generate --scope read] [--rpm N] [--concurrency N] [--credits N]
                     [--model <id> --model <id>] [--expires-in 30d | --expires-at 2027-01-31T00:00:00Z]
                     [--allow-ip 10.0.0.0/8 --allow-ip 2001:db8::/32] [--label team=search --label …]
                     [--team <team id>]
                     (--model: the only models the key may use; --expires-in: s, m, h or d;
                      --allow-ip: the only addresses it may be used from; --team: the team that owns
                      it, whose budget it spends)
  sdgate keys list [--team <team id>] [--status active|revoked|expired] [--search <text>]
                   [--created-by <person id>] [--limit N] [--cursor C]
                     (filtered on the server: --search finds the text in a name, id or prefix;
                      pass the same filters with --cursor)
  sdgate keys get <key id>                           (the key and what is left of its limits now)
  sdgate keys update <key id> [--name N] [--scope S] [--rpm N] [--concurrency N] [--credits N|unlimited]
                     [--model <id> | --all-models] [--expires-in 30d | --expires-at T | --no-expiry]
                     [--allow-ip <cidr> | --any-ip] [--label k=v … | --no-labels] (labels replace all)
                     (changes the key in place; its secret stays)
  sdgate keys revoke <key id>
  sdgate keys rotate <key id> [--grace <seconds>]   (the old secret keeps working that long; default 24 h)

Options for every subcommand:
  --url <url>            the edge (default: $SDGATE_URL)
  --admin-token <token>  the admin token (default: $SDGATE_ADMIN_TOKEN)
  --json                 print the API's JSON instead of a table`;

function limitsText(limits: KeyLimits): string {
  const credits = limits.credits === null ? "unlimited credits" : `${limits.credits} credits`;
  return `${limits.requests_per_minute} rpm, ${limits.concurrency} concurrent, ${credits}`;
}

function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}

function printSecret(io: Io, verb: string, key: KeyWithSecret): void {
  io.out(`${verb} ${key.id} (${key.name})\n`);
  io.out(`Secret, shown this once: ${key.key}\n`);
  io.out(`Prefix ${key.prefix} · scopes ${key.scopes.join(", ")} · ${limitsText(key.limits)}\n`);
  if (key.models) io.out(`Models: ${key.models.join(", ")} only\n`);
  if (key.allowed_ips) io.out(`From: ${key.allowed_ips.join(", ")} only\n`);
  const labels = Object.entries(key.metadata ?? {});
  if (labels.length > 0) io.out(`Labels: ${labels.map(([name, value]) => `${name}=${value}`).join(", ")}\n`);
  if (key.expires_at) io.out(`Expires at ${key.expires_at}\n`);
  if (key.previous_key_expires_at)
    io.out(`The previous secret works until ${key.previous_key_expires_at}.\n`);
}

async function create(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    ...KEY_OPTIONS,
    name: { type: "string" },
    team: { type: "string" },
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'.`);
  if (!values.name) throw new UsageError("keys create needs --name.");
  const body = {
    name: values.name,
    ...keyFields(values),
    ...(values.team === undefined ? {} : { team_id: values.team }),
  };
  const key = await adminClient(values, io).keys.create(body);
  if (values.json) printJson(io, key);
  else printSecret(io, "Created", key);
}

async function update(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    ...KEY_OPTIONS,
    name: { type: "string" },
    "all-models": { type: "boolean" },
    "no-expiry": { type: "boolean" },
    "any-ip": { type: "boolean" },
    "no-labels": { type: "boolean" },
  });
  const id = keyIdOf(positionals, "update");
  const body: UpdateKeyBody = keyFields(values);
  if (values.name !== undefined) body.name = values.name;
  if (values["all-models"]) {
    if (values.model) throw new UsageError("Give --model or --all-models, not both.");
    body.models = null;
  }
  if (values["no-expiry"]) {
    if (body.expires_at !== undefined) throw new UsageError("Give an expiry or --no-expiry, not both.");
    body.expires_at = null;
  }
  if (values["any-ip"]) {
    if (values["allow-ip"]) throw new UsageError("Give --allow-ip or --any-ip, not both.");
    body.allowed_ips = null;
  }
  if (values["no-labels"]) {
    if (values.label) throw new UsageError("Give --label or --no-labels, not both.");
    body.metadata = null;
  }
  if (Object.keys(body).length === 0)
    throw new UsageError("keys update needs something to change (see --help).");
  const key = await adminClient(values, io).keys.update(id, body);
  if (values.json) return printJson(io, key);
  io.out(`Updated ${key.id} (${key.name}): scopes ${key.scopes.join(", ")} · ${limitsText(key.limits)}\n`);
  io.out(`Models: ${key.models ? key.models.join(", ") : "all"} · expires ${key.expires_at ?? "never"}\n`);
  io.out(`From: ${key.allowed_ips ? key.allowed_ips.join(", ") : "any address"}\n`);
}

/** The filters of a `keys list` as options, to repeat with the next page's cursor. */
function filterArgs(filters: Readonly<Record<string, string | undefined>>): string {
  return Object.entries(filters)
    .flatMap(([option, value]) =>
      value === undefined
        ? []
        : [` --${option} ${/^[\w.@:-]+$/.test(value) ? value : JSON.stringify(value)}`],
    )
    .join("");
}

async function list(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    limit: { type: "string" },
    cursor: { type: "string" },
    team: { type: "string" },
    status: { type: "string" },
    search: { type: "string" },
    "created-by": { type: "string" },
  });
  if (positionals.length > 0) throw new UsageError(`Unexpected argument '${positionals[0]}'.`);
  const limit = wholeNumber("limit", values.limit, 1);
  const status = values.status;
  if (status !== undefined && !(KEY_STATUSES as readonly string[]).includes(status))
    throw new UsageError(`--status must be one of ${KEY_STATUSES.join(", ")}.`);
  const filters = { team: values.team, status, search: values.search, "created-by": values["created-by"] };
  const client = adminClient(values, io);
  const page = await client.keys.list({
    ...(limit === undefined ? {} : { limit }),
    ...(values.cursor === undefined ? {} : { cursor: values.cursor }),
    ...(values.team === undefined ? {} : { team_id: values.team }),
    ...(status === undefined ? {} : { status: status as KeyStatus }),
    ...(values.search === undefined ? {} : { q: values.search }),
    ...(values["created-by"] === undefined ? {} : { created_by: values["created-by"] }),
  });
  if (values.json) return printJson(io, page);
  const rows = page.data.map((key) => [
    key.id,
    key.name,
    key.prefix,
    key.scopes.join(","),
    String(key.limits.requests_per_minute),
    String(key.limits.concurrency),
    key.limits.credits === null ? "-" : String(key.limits.credits),
    key.models ? key.models.join(",") : "all",
    key.created_at,
    key.expires_at ?? "never",
    key.last_used_at ?? "never",
    key.status,
  ]);
  const headers = ["ID", "NAME", "PREFIX", "SCOPES", "RPM", "CONCURRENCY", "CREDITS", "MODELS", "CREATED"];
  io.out(`${table([...headers, "EXPIRES", "LAST USED", "STATUS"], rows)}\n`);
  if (page.next_cursor) io.out(`More: sdgate keys list${filterArgs(filters)} --cursor ${page.next_cursor}\n`);
}

function keyIdOf(positionals: string[], subcommand: string): string {
  const [id, extra] = positionals;
  if (!id) throw new UsageError(`keys ${subcommand} needs a key id (see sdgate keys list).`);
  if (extra !== undefined) throw new UsageError(`Unexpected argument '${extra}'.`);
  return id;
}

async function get(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const id = keyIdOf(positionals, "get");
  const key = await adminClient(values, io).keys.get(id);
  if (values.json) return printJson(io, key);
  io.out(`${key.id} (${key.name}) · ${key.status} · prefix ${key.prefix}\n`);
  io.out(`Scopes ${key.scopes.join(", ")} · ${limitsText(key.limits)}\n`);
  io.out(`Models: ${key.models ? key.models.join(", ") : "all"} · expires ${key.expires_at ?? "never"}\n`);
  io.out(`From: ${key.allowed_ips ? key.allowed_ips.join(", ") : "any address"}\n`);
  const { remaining } = key;
  if (remaining) {
    const credits = remaining.credits === null ? "unlimited credits" : `${remaining.credits} credits`;
    io.out(
      `Left now: ${remaining.requests} requests (full in ${remaining.requests_reset_seconds} s), ${remaining.concurrency} concurrent (${remaining.in_flight} in flight), ${credits}\n`,
    );
  }
}

async function revoke(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const id = keyIdOf(positionals, "revoke");
  const key = await adminClient(values, io).keys.revoke(id);
  if (values.json) printJson(io, key);
  else io.out(`Revoked ${key.id} (${key.name}) at ${key.revoked_at}; it fails everywhere from now on.\n`);
}

async function rotate(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, grace: { type: "string" } });
  const id = keyIdOf(positionals, "rotate");
  const grace = wholeNumber("grace", values.grace);
  const client = adminClient(values, io);
  const key = await client.keys.rotate(id, grace === undefined ? {} : { grace_seconds: grace });
  if (values.json) printJson(io, key);
  else printSecret(io, "Rotated", key);
}

const SUBCOMMANDS: Record<string, (args: string[], io: Io) => Promise<void>> = {
  create,
  list,
  get,
  update,
  revoke,
  rotate,
};

/** `sdgate keys …`: the admin API for API keys. */
export const keys: Command = {
  summary: "create, list, revoke and rotate API keys",
  usage: KEYS_USAGE,
  async run(args, io) {
    const [subcommand, ...rest] = args;
    if (subcommand === undefined || subcommand === "--help" || subcommand === "-h" || subcommand === "help") {
      io.out(`${KEYS_USAGE}\n`);
      return;
    }
    const handler = SUBCOMMANDS[subcommand];
    if (!handler) throw new UsageError(`Unknown command 'keys ${subcommand}'.`);
    if (rest.includes("--help") || rest.includes("-h")) {
      io.out(`${KEYS_USAGE}\n`);
      return;
    }
    await handler(rest, io);
  },
};
