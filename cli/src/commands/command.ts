import type { Io } from "../io.ts";

/** A top-level command (`sdgate keys …`); each owns its subcommands and options. */
export interface Command {
  summary: string;
  usage: string;
  /** Throws `UsageError` for a bad command line and `ApiError` when the API refuses. */
  run(args: string[], io: Io): Promise<void>;
}
