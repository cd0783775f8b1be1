import type { EvaluationBody, EvaluationRun, EvaluationSideStats } from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { jsonFile } from "../json-file.ts";
import { adminClient, CONNECTION_OPTIONS, parse, wholeNumber } from "../options.ts";
import { table } from "../table.ts";
import type { Command } from "./command.ts";
import { exactly, printJson } from "./subcommands.ts";

// Top-level for now (`sdgate evaluate`, `sdgate evaluation`): the registry's commands are being
// renamed to `sdgate models`, where these belong as subcommands once that settles.

const CONNECTION_HELP = `Options:
  --url <url>            the edge (default: $SDGATE_URL)
  --admin-token <token>  the admin token (default: $SDGATE_ADMIN_TOKEN)
  --json                 print the API's JSON instead of tables`;

export const EVALUATE_USAGE = `Usage: sdgate evaluate <model id> --candidate <vN> [options]

Generates a prompt set on the candidate version and on the baseline, and compares latency, failure
rate and safety-check outcomes. Cite the run's id in a promotion request's evidence.

  --candidate <vN>       the version under evaluation (required)
  --baseline <alias|vN>  what it is compared with (default: production)
  --prompts <file.json>  a JSON array of prompts (default: the built-in set of 8)
  --seeds <n>            images per prompt and side (default 1, at most 4)
  --steps <n>            denoising steps (default 20)
  --size <WxH>           image size (default: the model's)
  --wait                 follow the run and print the comparison when it ends
  --poll-ms <ms>         with --wait, how often to read the run (default 2000)
${CONNECTION_HELP}`;

export const EVALUATION_USAGE = `Usage: sdgate evaluation <evaluation id> [--items] [options]

Shows an evaluation run: both sides' latency p50/p95, failure rate and flagged rate.

  --items                also list each prompt and seed with both sides' outcome
${CONNECTION_HELP}`;

const percent = (rate: number | null) => (rate === null ? "-" : `${(rate * 100).toFixed(1)}%`);
const ms = (value: number | null) => (value === null ? "-" : `${Math.round(value)} ms`);

/** Both sides' numbers next to each other. */
export function comparison(run: EvaluationRun): string {
  const { candidate, baseline } = run;
  const row = (label: string, of: (side: EvaluationSideStats) => string) => [
    label,
    of(candidate),
    of(baseline),
  ];
  const baselineName =
    run.baseline_ref === baseline.version ? baseline.version : `${baseline.version} (${run.baseline_ref})`;
  const rows = [
    row("digest", (side) => `${side.digest.slice(0, 12)}…`),
    row("generations", (side) => `${side.count} of ${run.items.length}`),
    row("failure rate", (side) => `${percent(side.failure_rate)} (${side.failures})`),
    row("latency p50", (side) => ms(side.latency_ms.p50)),
    row("latency p95", (side) => ms(side.latency_ms.p95)),
    row("latency mean", (side) => ms(side.latency_ms.mean)),
    row("flagged rate", (side) => (run.safety_check ? percent(side.flagged_rate) : "- (check off)")),
  ];
  return table(["", `CANDIDATE ${candidate.version}`, `BASELINE ${baselineName}`], rows);
}

function header(run: EvaluationRun): string {
  const ended = run.finished_at === null ? "" : `, ended ${run.finished_at}`;
  const error = run.error === null ? "" : `\n${run.error}`;
  return `${run.id}: ${run.model_id} ${run.candidate.version} against ${run.baseline_ref}, ${run.status} (started by ${run.created_by} at ${run.created_at}${ended})${error}`;
}

function itemsTable(run: EvaluationRun): string {
  const outcome = (output: EvaluationRun["items"][number]["candidate"]) =>
    output.status === "failed"
      ? `failed: ${output.error?.code ?? "unknown"}`
      : output.status === "succeeded"
        ? `${ms(output.latency_ms)}${output.safety === null ? "" : ` ${output.safety}`}`
        : "pending";
  const short = (prompt: string) => (prompt.length > 48 ? `${prompt.slice(0, 47)}…` : prompt);
  const rows = run.items.map((item) => [
    String(item.index),
    short(item.prompt),
    String(item.seed),
    outcome(item.candidate),
    outcome(item.baseline),
  ]);
  return table(["#", "PROMPT", "SEED", "CANDIDATE", "BASELINE"], rows);
}

async function promptsFrom(path: string | undefined): Promise<string[] | undefined> {
  if (path === undefined) return undefined;
  const prompts = await jsonFile(path);
  if (!Array.isArray(prompts) || !prompts.every((prompt) => typeof prompt === "string"))
    throw new UsageError(`--prompts: '${path}' must hold a JSON array of strings.`);
  return prompts;
}

function progressLine(run: EvaluationRun): string {
  const total = run.items.length;
  return `${run.status}: candidate ${run.candidate.count}/${total}, baseline ${run.baseline.count}/${total}\n`;
}

/** `sdgate evaluate <model> --candidate v3 [--baseline production] [--wait]`. */
export const evaluate: Command = {
  summary: "run a prompt set on a candidate version and a baseline, and compare them",
  usage: EVALUATE_USAGE,
  async run(args: string[], io: Io): Promise<void> {
    const { values, positionals } = parse(args, {
      ...CONNECTION_OPTIONS,
      candidate: { type: "string" },
      baseline: { type: "string" },
      prompts: { type: "string" },
      seeds: { type: "string" },
      steps: { type: "string" },
      size: { type: "string" },
      wait: { type: "boolean", default: false },
      "poll-ms": { type: "string" },
    });
    if (values.help) return io.out(`${EVALUATE_USAGE}\n`);
    const [modelId = ""] = exactly(positionals, ["a model id (see sdgate registry list)"], "evaluate");
    if (values.candidate === undefined) throw new UsageError("evaluate needs --candidate <vN>.");
    const prompts = await promptsFrom(values.prompts);
    const seeds = wholeNumber("seeds", values.seeds, 1);
    const steps = wholeNumber("steps", values.steps, 1);
    const pollMs = wholeNumber("poll-ms", values["poll-ms"], 1);
    const body: EvaluationBody = {
      candidate: values.candidate,
      ...(values.baseline === undefined ? {} : { baseline: values.baseline }),
      ...(prompts === undefined ? {} : { prompts }),
      ...(seeds === undefined ? {} : { seeds }),
      ...(steps === undefined ? {} : { steps }),
      ...(values.size === undefined ? {} : { size: values.size }),
    };
    const client = adminClient(values, io);
    const started = await client.evaluations.start(modelId, body);
    if (!values.wait) {
      if (values.json) return printJson(io, started);
      io.out(
        `Started ${started.id}: ${started.items.length} prompts and seeds on ${started.candidate.version} and ${started.baseline.version}.\nFollow it with sdgate evaluation ${started.id}; cite it as evidence { "kind": "evaluation", "ref": "${started.id}" }.\n`,
      );
      return;
    }
    io.err(`Started ${started.id}.\n`);
    let last = "";
    const run = await client.evaluations.wait(started.id, {
      ...(pollMs === undefined ? {} : { pollMs }),
      onProgress: (reading) => {
        const line = progressLine(reading);
        if (line !== last) io.err(line);
        last = line;
      },
    });
    if (values.json) return printJson(io, run);
    io.out(`${header(run)}\n${comparison(run)}\n`);
  },
};

/** `sdgate evaluation <id> [--items]`. */
export const evaluation: Command = {
  summary: "show an evaluation run: both sides' latency, failure and flagged rates",
  usage: EVALUATION_USAGE,
  async run(args: string[], io: Io): Promise<void> {
    const { values, positionals } = parse(args, {
      ...CONNECTION_OPTIONS,
      items: { type: "boolean", default: false },
    });
    if (values.help) return io.out(`${EVALUATION_USAGE}\n`);
    const [id = ""] = exactly(positionals, ["an evaluation id (evl_…)"], "evaluation");
    const run = await adminClient(values, io).evaluations.get(id);
    if (values.json) return printJson(io, run);
    const items = values.items ? `\n\n${itemsTable(run)}` : "";
    io.out(`${header(run)}\n${comparison(run)}${items}\n`);
  },
};
