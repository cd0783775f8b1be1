import type { RegisterVersionBody } from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { jsonFile } from "../json-file.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { table } from "../table.ts";
import { approve, PROMOTIONS_USAGE, promotions, reject, requestPromotion } from "./registry-promotions.ts";
import { exactly, printJson, withSubcommands } from "./subcommands.ts";

export const REGISTRY_USAGE = `Usage: sdgate registry <list|create|show|versions|register-version|aliases|history|promotions|request-promotion|approve|reject> [options]

  sdgate registry list
  sdgate registry create <model id> [--description <text>]
  sdgate registry show <model id>                  (the model and where its aliases point)
  sdgate registry versions <model id>
  sdgate registry register-version <model id> --file <version.json>
                     (digest, source, engine_version, licence: { id, accepted: true }, card)
  sdgate registry aliases <model id>
  sdgate registry history <model id> <alias>
${PROMOTIONS_USAGE}

Options for every subcommand:
  --url <url>            the edge (default: $SDGATE_URL)
  --admin-token <token>  the admin token (default: $SDGATE_ADMIN_TOKEN)
  --json                 print the API's JSON instead of a table`;

const MODEL_ID = "a model id (see sdgate registry list)";

async function list(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  exactly(positionals, [], "registry list");
  const models = await adminClient(values, io).registry.list();
  if (values.json) return printJson(io, models);
  const rows = models.data.map((m) => [m.id, m.description || "-", m.created_by, m.created_at]);
  io.out(`${table(["ID", "DESCRIPTION", "CREATED BY", "CREATED"], rows)}\n`);
}

async function create(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, description: { type: "string" } });
  const [id = ""] = exactly(positionals, [MODEL_ID], "registry create");
  const model = await adminClient(values, io).registry.create({
    id,
    ...(values.description === undefined ? {} : { description: values.description }),
  });
  if (values.json) return printJson(io, model);
  io.out(`Registered ${model.id}; add a version with sdgate registry register-version.\n`);
}

async function aliasTable(io: Io, id: string, values: Parameters<typeof adminClient>[0]) {
  const aliases = await adminClient(values, io).registry.aliases(id);
  const rows = aliases.data.map((a) => [
    a.name,
    a.version,
    String(a.revision),
    a.updated_by,
    a.promotion_id ?? "bootstrap",
  ]);
  return { aliases, text: table(["ALIAS", "VERSION", "REVISION", "MOVED BY", "PROMOTION"], rows) };
}

async function show(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = ""] = exactly(positionals, [MODEL_ID], "registry show");
  const model = await adminClient(values, io).registry.get(id);
  const { aliases, text } = await aliasTable(io, id, values);
  if (values.json) return printJson(io, { ...model, aliases: aliases.data });
  io.out(
    `${model.id}: ${model.description || "(no description)"}; registered by ${model.created_by} at ${model.created_at}\n${text}\n`,
  );
}

async function versions(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = ""] = exactly(positionals, [MODEL_ID], "registry versions");
  const list = await adminClient(values, io).registry.versions(id);
  if (values.json) return printJson(io, list);
  const rows = list.data.map((v) => [
    v.version,
    v.digest.slice(0, 12),
    v.source.kind,
    v.engine_version,
    v.licence.id,
    v.registered_by,
    v.registered_at,
  ]);
  io.out(`${table(["VERSION", "DIGEST", "SOURCE", "ENGINE", "LICENCE", "REGISTERED BY", "AT"], rows)}\n`);
}

async function registerVersion(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, file: { type: "string" } });
  const [id = ""] = exactly(positionals, [MODEL_ID], "registry register-version");
  if (values.file === undefined)
    throw new UsageError("registry register-version needs --file <version.json>.");
  const body = await jsonFile(values.file);
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new UsageError("--file must hold a JSON object (digest, source, engine_version, licence, card).");
  const version = await adminClient(values, io).registry.registerVersion(id, body as RegisterVersionBody);
  if (values.json) return printJson(io, version);
  io.out(
    `Registered ${version.model_id}@${version.version} (sha256 ${version.digest}); licence ${version.licence.id} accepted by ${version.licence.accepted_by}\n`,
  );
}

async function aliases(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = ""] = exactly(positionals, [MODEL_ID], "registry aliases");
  const { aliases: list, text } = await aliasTable(io, id, values);
  if (values.json) return printJson(io, list);
  io.out(`${text}\n`);
}

async function history(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = "", alias = ""] = exactly(
    positionals,
    [MODEL_ID, "an alias (production, staging, …)"],
    "registry history",
  );
  const moves = await adminClient(values, io).registry.history(id, alias);
  if (values.json) return printJson(io, moves);
  const rows = moves.data.map((m) => [
    String(m.revision),
    m.from_version ?? "-",
    m.to_version,
    m.reason,
    m.moved_by,
    m.moved_at,
    m.promotion_id ?? "-",
  ]);
  io.out(`${table(["REVISION", "FROM", "TO", "REASON", "BY", "AT", "PROMOTION"], rows)}\n`);
}

/** `sdgate registry …`: models, versions, aliases and their promotions. */
export const registry = withSubcommands(
  "registry",
  "register models and versions, and request and decide alias promotions",
  REGISTRY_USAGE,
  {
    list,
    create,
    show,
    versions,
    "register-version": registerVersion,
    aliases,
    history,
    promotions,
    "request-promotion": requestPromotion,
    approve,
    reject,
  },
);
