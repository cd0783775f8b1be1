import type { TeamBudgetStatus } from "@sdgate/sdk";
import { type Io, UsageError } from "../io.ts";
import { adminClient, CONNECTION_OPTIONS, parse } from "../options.ts";
import { exactly, printJson } from "./subcommands.ts";
import { bar } from "./usage.ts";

export const BUDGET_USAGE = `  sdgate teams budget <team id>                    (this month: spent, held, left, as a bar)
  sdgate teams budget <team id> --set <credits> [--soft <percent>] [--alert-url <https url>]
  sdgate teams budget <team id> --remove`;

function wholeNumber(value: string, option: string, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) > max)
    throw new UsageError(`${option} must be a whole number up to ${max}, got '${value}'.`);
  return Number(value);
}

/** The month as a person reads it: the bar of what is spent and held against the limit. */
function describe(status: TeamBudgetStatus): string {
  const { budget, usage } = status;
  if (budget === null || budget.monthly_credits === null) {
    return `${status.team_id}: no budget; ${usage.spent} credits spent in ${usage.month}, ${usage.reserved} held.\n`;
  }
  const limit = budget.monthly_credits;
  const used = usage.spent + usage.reserved;
  const percent = limit === 0 ? 100 : Math.round((used / limit) * 100);
  return [
    `${status.team_id}: ${limit} credits a month; alert at ${budget.soft_percent}%${budget.alert_webhook_url === null ? " (no receiver)" : ` to ${budget.alert_webhook_url}`}`,
    `${usage.month}  ${bar(used, Math.max(limit, used))} ${used} of ${limit} (${percent}%): ${usage.spent} spent, ${usage.reserved} held, ${usage.remaining ?? "-"} left; resets ${usage.resets_at}`,
    "",
  ].join("\n");
}

/** `sdgate teams budget …`: read, set or remove a team's monthly budget. */
export async function budget(args: string[], io: Io): Promise<void> {
  const { values, positionals } = parse(args, {
    ...CONNECTION_OPTIONS,
    set: { type: "string" },
    soft: { type: "string" },
    "alert-url": { type: "string" },
    remove: { type: "boolean" },
  });
  const [id = ""] = exactly(positionals, ["a team id (see sdgate teams list)"], "teams budget");
  const changing = values.set !== undefined || values.soft !== undefined || values["alert-url"] !== undefined;
  if (changing && values.remove)
    throw new UsageError("--remove cannot go with --set, --soft or --alert-url.");
  if (changing && values.set === undefined)
    throw new UsageError("--soft and --alert-url need --set <credits>.");
  const teams = adminClient(values, io).teams;
  const status = values.remove
    ? await teams.removeBudget(id)
    : values.set !== undefined
      ? await teams.setBudget(id, {
          monthly_credits: wholeNumber(values.set, "--set", Number.MAX_SAFE_INTEGER),
          ...(values.soft === undefined ? {} : { soft_percent: wholeNumber(values.soft, "--soft", 100) }),
          ...(values["alert-url"] === undefined ? {} : { alert_webhook_url: values["alert-url"] }),
        })
      : await teams.budget(id);
  if (values.json) return printJson(io, status);
  io.out(describe(status));
}
