import { type AliasPolicyBody, type AliasPolicyView, SAFETY_SETTINGS, type SafetySetting } from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { jsonFile } from "../json-file.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { table } from "../table.ts";
import { exactly, printJson } from "./subcommands.ts";
import { policyText } from "./team-policy.ts";

export const MODEL_POLICY_USAGE = `  sdgate models policies <model id>                (each alias's policy and safety check)
  sdgate models policy <model id> <alias|*>       (one alias's; '*' is the model's default, for pins
                                                   and aliases without their own)
  sdgate models policy <model id> <alias|*> --file <policy.json> [--safety-check off|flag|blur|block]
                     (sets it: { rules, record_prompt, safety_check }, or a JSON array of rules)
  sdgate models policy <model id> <alias|*> --remove`;

const MODEL_ID = "a model id (see sdgate models list)";
const ALIAS = "an alias (production, staging, …) or '*' (the model's default)";

function safetyOf(value: string | undefined): SafetySetting | undefined {
  if (value === undefined) return undefined;
  const setting = SAFETY_SETTINGS.find((known) => known === value);
  if (setting === undefined)
    throw new UsageError(`--safety-check must be one of ${SAFETY_SETTINGS.join(", ")}, got '${value}'.`);
  return setting;
}

/** The body a file holds: the policy's fields, or only its rules; `--safety-check` has the last word. */
function bodyOf(file: unknown, safety: SafetySetting | undefined): AliasPolicyBody {
  const fields = Array.isArray(file) ? { rules: file } : file;
  if (typeof fields !== "object" || fields === null)
    throw new UsageError(
      "--file must hold a JSON object ({ rules, record_prompt, safety_check }) or array of rules.",
    );
  return { ...(fields as AliasPolicyBody), ...(safety === undefined ? {} : { safety_check: safety }) };
}

function describe(view: AliasPolicyView): string {
  const name = `${view.model_id}@${view.alias}`;
  if (view.policy === null) return `${name}: no policy (safety check off).\n`;
  return `${name}: ${policyText(view.policy, view, `; safety check ${view.safety_check}`)}`;
}

/** `sdgate models policy …`: read, set or remove one alias's prompt policy and safety check. */
export async function modelPolicy(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    file: { type: "string" },
    "safety-check": { type: "string" },
    remove: { type: "boolean" },
  });
  const [id = "", alias = ""] = exactly(positionals, [MODEL_ID, ALIAS], "models policy");
  if (values.remove && values.file !== undefined) throw new UsageError("--remove cannot go with --file.");
  if (values["safety-check"] !== undefined && values.file === undefined)
    throw new UsageError("--safety-check needs --file (the policy it goes with).");
  const safety = safetyOf(values["safety-check"]);
  const body = values.file === undefined ? undefined : bodyOf(await jsonFile(values.file), safety);
  const registry = adminClient(values, io).registry;
  const view = values.remove
    ? await registry.removePolicy(id, alias)
    : body !== undefined
      ? await registry.setPolicy(id, alias, body)
      : await registry.policy(id, alias);
  if (values.json) return printJson(io, view);
  io.out(describe(view));
}

/** `sdgate models policies <model>`: every alias policy of a model, one row each. */
export async function modelPolicies(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, CONNECTION_OPTIONS);
  const [id = ""] = exactly(positionals, [MODEL_ID], "models policies");
  const list = await adminClient(values, io).registry.policies(id);
  if (values.json) return printJson(io, list);
  const rows = list.data.map((view) => [
    view.alias,
    String(view.policy?.rules.length ?? 0),
    view.safety_check,
    view.updated_by ?? "-",
    view.updated_at ?? "-",
  ]);
  io.out(`${table(["ALIAS", "RULES", "SAFETY CHECK", "SET BY", "AT"], rows)}\n`);
}
