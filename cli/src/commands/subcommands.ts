import { type Io, UsageError } from "../io.ts";
import type { Command } from "./command.ts";

/** One subcommand (`sdgate teams create …`): its arguments after the subcommand's name. */
export type Subcommand = (args: string[], io: Io) => Promise<void>;

/**
 * A command made of subcommands: `--help` (or none) prints `usage`; an unknown one is a usage error.
 *
 * @example
 * export const teams = withSubcommands("teams", "manage teams", TEAMS_USAGE, { list, create });
 */
export function withSubcommands(
  name: string,
  summary: string,
  usage: string,
  subcommands: Readonly<Record<string, Subcommand>>,
): Command {
  return {
    summary,
    usage,
    async run(args, io) {
      const [subcommand, ...rest] = args;
      const help = (word: string | undefined) => word === "--help" || word === "-h" || word === "help";
      if (subcommand === undefined || help(subcommand) || rest.some(help)) {
        io.out(`${usage}\n`);
        return;
      }
      const handler = Object.hasOwn(subcommands, subcommand) ? subcommands[subcommand] : undefined;
      if (!handler) throw new UsageError(`Unknown command '${name} ${subcommand}'.`);
      await handler(rest, io);
    },
  };
}

/**
 * Exactly the positional arguments `names` describes, or a usage error naming the first missing one
 * (`teams add-member needs a person's id`) or the first extra one.
 *
 * @example
 * const [teamId, userId] = exactly(positionals, ["a team id", "a person's id"], "teams add-member");
 */
export function exactly(positionals: readonly string[], names: readonly string[], command: string): string[] {
  const missing = names[positionals.length];
  if (missing !== undefined) throw new UsageError(`${command} needs ${missing}.`);
  const extra = positionals[names.length];
  if (extra !== undefined) throw new UsageError(`Unexpected argument '${extra}'.`);
  return [...positionals];
}

export function printJson(io: Io, value: unknown): void {
  io.out(`${JSON.stringify(value, null, 2)}\n`);
}
