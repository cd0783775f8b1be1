import { ADAPTER_KINDS, ADAPTER_STATUSES, type AdapterKind, type AdapterRecord } from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { table } from "../table.ts";
import { exactly, printJson, withSubcommands } from "./subcommands.ts";

export const ADAPTERS_USAGE = `Usage: sdgate adapters <list|show|register|approve|reject|deprecate|remove> [options]

  sdgate adapters list [--kind lora|controlnet] [--status pending|approved|rejected|deprecated|removed]
  sdgate adapters show <kind> <name>
  sdgate adapters register <kind> <name> --digest <sha256> --applies-to <model id>[,<model id>…]
                     [--description <text>] [--source <uri>]
                     (pending until someone else approves it; names are never reused)
  sdgate adapters approve|reject|deprecate|remove <kind> <name> [--comment <text>]
                     (approving needs models.approve, and never by the one who registered it)

Options for every subcommand:
  --url <url>            the edge (default: $SDGATE_URL)
  --admin-token <token>  the admin token (default: $SDGATE_ADMIN_TOKEN)
  --json                 print the API's JSON instead of a table`;

const KIND = `a kind (${ADAPTER_KINDS.join(" or ")})`;
const NAME = "an adapter's name (see sdgate adapters list)";

function kindOf(text: string | undefined): AdapterKind | undefined {
  if (text === undefined) return undefined;
  if (!(ADAPTER_KINDS as readonly string[]).includes(text))
    throw new UsageError(`'${text}' is not a kind: ${ADAPTER_KINDS.join(" or ")}.`);
  return text as AdapterKind;
}

function describe(record: AdapterRecord): string {
  const approval =
    record.approved_by === null ? "" : `; approved by ${record.approved_by} at ${record.approved_at}`;
  return `${record.kind}/${record.name}: ${record.status} (sha256 ${record.digest}), for ${record.applies_to.join(", ")}; registered by ${record.registered_by}${approval}`;
}

async function list(args: string[], io: Io): Promise<void> {
  const options = { ...CONNECTION_OPTIONS, kind: { type: "string" }, status: { type: "string" } } as const;
  const { values, positionals } = parse(args, options);
  exactly(positionals, [], "adapters list");
  const status = values.status;
  if (status !== undefined && !(ADAPTER_STATUSES as readonly string[]).includes(status))
    throw new UsageError(`'${status}' is not a status: ${ADAPTER_STATUSES.join(", ")}.`);
  const kind = kindOf(values.kind);
  const records = await adminClient(values, io).adapters.records({
    ...(kind === undefined ? {} : { kind }),
    ...(status === undefined ? {} : { status: status as AdapterRecord["status"] }),
  });
  if (values.json) return printJson(io, records);
  const rows = records.data.map((a) => [
    a.kind,
    a.name,
    a.status,
    a.digest.slice(0, 12),
    a.applies_to.join(","),
    a.registered_by,
    a.approved_by ?? "-",
  ]);
  io.out(`${table(["KIND", "NAME", "STATUS", "DIGEST", "FOR", "REGISTERED BY", "APPROVED BY"], rows)}\n`);
}

async function show(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [kind = "", name = ""] = exactly(positionals, [KIND, NAME], "adapters show");
  const record = await adminClient(values, io).adapters.get(kindOf(kind) ?? "lora", name);
  if (values.json) return printJson(io, record);
  io.out(`${describe(record)}\n`);
}

async function register(args: string[], io: Io): Promise<void> {
  const options = {
    ...CONNECTION_OPTIONS,
    digest: { type: "string" },
    "applies-to": { type: "string" },
    description: { type: "string" },
    source: { type: "string" },
  } as const;
  const { values, positionals } = parse(args, options);
  const [kind = "", name = ""] = exactly(positionals, [KIND, NAME], "adapters register");
  if (values.digest === undefined) throw new UsageError("adapters register needs --digest <sha256>.");
  if (values["applies-to"] === undefined)
    throw new UsageError("adapters register needs --applies-to <model id>[,<model id>…].");
  const record = await adminClient(values, io).adapters.register({
    kind: kindOf(kind) ?? "lora",
    name,
    digest: values.digest,
    applies_to: values["applies-to"].split(",").map((id) => id.trim()),
    ...(values.description === undefined ? {} : { description: values.description }),
    ...(values.source === undefined ? {} : { source_uri: values.source }),
  });
  if (values.json) return printJson(io, record);
  io.out(
    `${describe(record)}\nSomeone else with models.approve must approve it before requests may name it.\n`,
  );
}

/** `approve`, `reject`, `deprecate` or `remove`: the same arguments, one SDK method each. */
function decision(action: "approve" | "reject" | "deprecate" | "remove") {
  return async (args: string[], io: Io): Promise<void> => {
    const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, comment: { type: "string" } });
    const [kind = "", name = ""] = exactly(positionals, [KIND, NAME], `adapters ${action}`);
    const body = values.comment === undefined ? {} : { comment: values.comment };
    const record = await adminClient(values, io).adapters[action](kindOf(kind) ?? "lora", name, body);
    if (values.json) return printJson(io, record);
    io.out(`${describe(record)}\n`);
  };
}

/** `sdgate adapters …`: the registry of LoRAs and ControlNet models. */
export const adapters = withSubcommands(
  "adapters",
  "register LoRAs and ControlNet models, and approve, reject, deprecate or remove them",
  ADAPTERS_USAGE,
  {
    list,
    show,
    register,
    approve: decision("approve"),
    reject: decision("reject"),
    deprecate: decision("deprecate"),
    remove: decision("remove"),
  },
);
