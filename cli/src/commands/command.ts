import type { Io } from "../io.ts";

/** A top-level command (`sdgate keys …`); each owns its subcommands and options. */
export interface Command {
  summary: string;
  usage: string;
  /** Throws `UsageError` for a bad command line; what the SDK throws, `run` reports (see `apiErrorOf`). */
  run(args: string[], io: Io): Promise<void>;
}
