import type { SplitBody, SplitView } from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { table } from "../table.ts";
import { exactly, printJson } from "./subcommands.ts";

export const MODEL_CANARY_USAGE = `  sdgate models canary <model id> <alias>        (its canary split, and each version's numbers)
  sdgate models canary <model id> <alias> --weight <1-50> [--to <alias>] [--max-error-rate <0-1>]
                     [--max-p95-ms <ms>] [--min-requests <n>]
                     (starts or retunes it: that share of the alias's requests goes to --to's
                      version, default the 'canary' alias; past min-requests, a broken budget
                      rolls it back by itself)
  sdgate models canary <model id> <alias> --stop`;

const MODEL_ID = "a model id (see sdgate models list)";
const ALIAS = "the alias whose traffic is split (e.g. production)";

function numberOf(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number))
    throw new UsageError(`--${flag} must be a number, got '${value}'.`);
  return number;
}

function describe(view: SplitView): string {
  const name = `${view.model_id}@${view.alias}`;
  const ended = view.last_ended
    ? `Last split ${view.last_ended.id}: ${view.last_ended.reason.replace("_", " ")} by ${view.last_ended.ended_by} at ${view.last_ended.ended_at}.\n`
    : "";
  if (view.split === null)
    return `${name}: no canary split (serving ${view.stable_version ?? "nothing"}).\n${ended}`;
  const { split } = view;
  const head = `${name}: ${split.weight} % to ${split.to_alias} (${view.canary_version}), the rest ${view.stable_version}; rolls back past ${split.min_requests} requests at error rate > ${split.max_error_rate} or p95 > ${split.max_p95_ms} ms.\n`;
  const ms = (value: number | null) => (value === null ? "-" : String(Math.round(value)));
  const rows = view.stats.map((stats) => [
    stats.version,
    stats.version === view.canary_version ? "canary" : "stable",
    String(stats.requests),
    `${(stats.error_rate * 100).toFixed(1)} %`,
    ms(stats.p50_ms),
    ms(stats.p95_ms),
  ]);
  const numbers =
    rows.length === 0
      ? "No requests yet.\n"
      : `${table(["VERSION", "SIDE", "REQUESTS", "ERRORS", "P50 MS", "P95 MS"], rows)}\n`;
  return `${head}${numbers}${ended}`;
}

/** `sdgate models canary …`: read, start (or retune) or stop an alias's canary split. */
export async function modelCanary(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    weight: { type: "string" },
    to: { type: "string" },
    "max-error-rate": { type: "string" },
    "max-p95-ms": { type: "string" },
    "min-requests": { type: "string" },
    stop: { type: "boolean" },
  });
  const [id = "", alias = ""] = exactly(positionals, [MODEL_ID, ALIAS], "models canary");
  const weight = numberOf("weight", values.weight);
  const tuning = [values.to, values["max-error-rate"], values["max-p95-ms"], values["min-requests"]];
  if (values.stop && (weight !== undefined || tuning.some((value) => value !== undefined)))
    throw new UsageError("--stop cannot go with the split's settings.");
  if (weight === undefined && tuning.some((value) => value !== undefined))
    throw new UsageError("--weight is needed to start or retune a split.");
  const canary = adminClient(values, io).canary;
  let view: SplitView;
  if (values.stop) view = await canary.stop(id, alias);
  else if (weight !== undefined) {
    const body: SplitBody = {
      weight,
      ...(values.to === undefined ? {} : { to_alias: values.to }),
      ...optional("max_error_rate", numberOf("max-error-rate", values["max-error-rate"])),
      ...optional("max_p95_ms", numberOf("max-p95-ms", values["max-p95-ms"])),
      ...optional("min_requests", numberOf("min-requests", values["min-requests"])),
    };
    view = await canary.start(id, alias, body);
  } else view = await canary.get(id, alias);
  if (values.json) return printJson(io, view);
  io.out(describe(view));
}

const optional = <K extends string>(key: K, value: number | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, number>>;
