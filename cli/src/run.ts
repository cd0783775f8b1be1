import { apiErrorOf } from "./api-error-of.ts";
import { adapters } from "./commands/adapters.ts";
import type { Command } from "./commands/command.ts";
import { evaluate, evaluation } from "./commands/evaluations.ts";
import { generateCommand } from "./commands/generate.ts";
import { keys } from "./commands/keys.ts";
import { people } from "./commands/people.ts";
import { models, registry } from "./commands/registry.ts";
import { roleMappings } from "./commands/role-mappings.ts";
import { teams } from "./commands/teams.ts";
import { usageCommand } from "./commands/usage.ts";
import { whoamiCommand } from "./commands/whoami.ts";
import { EXIT, InterruptedError, type Io, isApiError, isUsageError } from "./io.ts";

/** The commands. */
export const COMMANDS: Readonly<Record<string, Command>> = {
  keys,
  generate: generateCommand,
  usage: usageCommand,
  people,
  teams,
  "role-mappings": roleMappings,
  models,
  registry,
  adapters,
  evaluate,
  evaluation,
  whoami: whoamiCommand,
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`,
  );
  return `Usage: sdgate <command> [options]\n\nCommands:\n${lines.join("\n")}\n\nRun 'sdgate <command> --help' for its options.`;
}

/**
 * Runs `sdgate` with `args` (without the node and script paths) and returns its exit status; never
 * throws. Never prints the admin token.
 *
 * @example
 * process.exitCode = await run(process.argv.slice(2), nodeIo());
 */
export async function run(args: string[], io: Io): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(`${usage()}\n`);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`sdgate: unknown command '${name}'.\n\n${usage()}\n`);
    return EXIT.usage;
  }
  try {
    await command.run(rest, io);
    return EXIT.ok;
  } catch (thrown) {
    const error = apiErrorOf(thrown);
    if (isUsageError(error)) {
      io.err(`sdgate ${name}: ${error.message}\n\n${command.usage}\n`);
      return EXIT.usage;
    }
    if (error instanceof InterruptedError) {
      io.err(`sdgate ${name}: ${error.message}\n`);
      return EXIT.interrupted;
    }
    if (isApiError(error)) {
      io.err(`sdgate ${name}: ${error.message}\n`);
      return EXIT.failed;
    }
    io.err(`sdgate ${name}: unexpected error: ${(error as Error).message}\n`);
    return EXIT.failed;
  }
}
