import { type Io, UsageError } from "../io.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { exactly, printJson } from "./subcommands.ts";

export const TEAM_MODELS_USAGE = `  sdgate teams models <team id>                    (the models its keys may use)
  sdgate teams models <team id> --set <ref,…> | --all | --none
                     (refs: sd15 = all of it, sd15@production = an alias, sd15@v3 = a version)`;

/** `sdgate teams models …`: read or set the models a team's keys may use. */
export async function teamModels(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    set: { type: "string", multiple: true },
    all: { type: "boolean" },
    none: { type: "boolean" },
  });
  const [id = ""] = exactly(positionals, ["a team id (see sdgate teams list)"], "teams models");
  const given = [values.set !== undefined, values.all === true, values.none === true].filter(Boolean);
  if (given.length > 1) throw new UsageError("Give one of --set, --all and --none.");
  const set = values.set?.flatMap((list) => list.split(",")).map((ref) => ref.trim());
  if (set?.some((ref) => ref === ""))
    throw new UsageError("--set needs model references, such as sd15@production.");
  const teams = adminClient(values, io).teams;
  const models = values.all ? null : values.none ? [] : set;
  const view = models === undefined ? await teams.models(id) : await teams.setModels(id, { models });
  if (values.json) return printJson(io, view);
  const granted =
    view.models === null ? "every model" : view.models.length === 0 ? "no model" : view.models.join(", ");
  io.out(`${view.team_id} may use ${granted}.\n`);
}
