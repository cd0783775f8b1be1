import type { RegisterVersionBody } from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { jsonFile } from "../json-file.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { table } from "../table.ts";
import { evaluate, evaluation } from "./evaluations.ts";
import { MODEL_CANARY_USAGE, modelCanary } from "./model-canary.ts";
import { MODEL_POLICY_USAGE, modelPolicies, modelPolicy } from "./model-policy.ts";
import { approve, PROMOTIONS_USAGE, promotions, reject, requestPromotion } from "./registry-promotions.ts";
import { exactly, printJson, withSubcommands } from "./subcommands.ts";

export const REGISTRY_USAGE = `Usage: sdgate models <list|create|show|versions|register-version|aliases|history|promotions|request-promotion|approve|reject|policies|policy|canary|evaluate|evaluation> [options]
       (sdgate registry … is the same command, by its former name)

  sdgate models list
  sdgate models create <model id> [--description <text>]
  sdgate models show <model id>                  (the model and where its aliases point)
  sdgate models versions <model id>
  sdgate models register-version <model id> --file <version.json>
                     (digest, source, engine_version, licence: { id, accepted: true }, card)
  sdgate models aliases <model id>
  sdgate models history <model id> <alias>
${PROMOTIONS_USAGE}
${MODEL_POLICY_USAGE}
${MODEL_CANARY_USAGE}
  sdgate models evaluate <model id> --candidate <vN> [--baseline <alias|vN>] [--wait]
  sdgate models evaluation <evaluation id> [--items]
                     (the same as sdgate evaluate and sdgate evaluation: see their --help)

Options for every subcommand:
  --url <url>            the edge (default: $SDGATE_URL)
  --admin-token <token>  the admin token (default: $SDGATE_ADMIN_TOKEN)
  --json                 print the API's JSON instead of a table`;

const MODEL_ID = "a model id (see sdgate models list)";

async function list(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  exactly(positionals, [], "models list");
  const models = await adminClient(values, io).registry.list();
  if (values.json) return printJson(io, models);
  const rows = models.data.map((m) => [m.id, m.description || "-", m.created_by, m.created_at]);
  io.out(`${table(["ID", "DESCRIPTION", "CREATED BY", "CREATED"], rows)}\n`);
}

async function create(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, { ...CONNECTION_OPTIONS, description: { type: "string" } });
  const [id = ""] = exactly(positionals, [MODEL_ID], "models create");
  const model = await adminClient(values, io).registry.create({
    id,
    ...(values.description === undefined ? {} : { description: values.description }),
  });
  if (values.json) return printJson(io, model);
  io.out(`Registered ${model.id}; add a version with sdgate models register-version.\n`);
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
  const [id = ""] = exactly(positionals, [MODEL_ID], "models show");
  const model = await adminClient(values, io).registry.get(id);
  const { aliases, text } = await aliasTable(io, id, values);
  if (values.json) return printJson(io, { ...model, aliases: aliases.data });
  io.out(
    `${model.id}: ${model.description || "(no description)"}; registered by ${model.created_by} at ${model.created_at}\n${text}\n`,
  );
}

async function versions(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = ""] = exactly(positionals, [MODEL_ID], "models versions");
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
  const [id = ""] = exactly(positionals, [MODEL_ID], "models register-version");
  if (values.file === undefined) throw new UsageError("models register-version needs --file <version.json>.");
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
  const [id = ""] = exactly(positionals, [MODEL_ID], "models aliases");
  const { aliases: list, text } = await aliasTable(io, id, values);
  if (values.json) return printJson(io, list);
  io.out(`${text}\n`);
}

async function history(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = "", alias = ""] = exactly(
    positionals,
    [MODEL_ID, "an alias (production, staging, …)"],
    "models history",
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

/** `sdgate models …`: models, versions, aliases, their promotions and their policies. */
export const models = withSubcommands(
  "models",
  "register models and versions, request and decide alias promotions, set alias policies and canaries",
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
    policies: modelPolicies,
    policy: modelPolicy,
    canary: modelCanary,
    evaluate: (args, io) => evaluate.run(args, io),
    evaluation: (args, io) => evaluation.run(args, io),
  },
);

/** `sdgate registry …`: the former name of `sdgate models`, kept so that scripts keep working. */
export const registry = { ...models, summary: "the same as models (its former name)" };
