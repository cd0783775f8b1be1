/** What a command may touch: its output streams, environment and network. Tests pass their own. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
  fetch: typeof fetch;
  /** Aborted when the person presses Ctrl-C (the first time; a second one ends the process). */
  interrupts?: AbortSignal;
}

/** Exit statuses: 0 done, 1 the API refused or failed, 2 the command line was wrong, 130 Ctrl-C (128 + SIGINT, as shells report it). */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** The person pressed Ctrl-C; the command cleaned up what it had started (exit status 130). */
export class InterruptedError extends Error {
  override readonly name = "InterruptedError";
}

/** A mistake on the command line: printed with the usage, exit status 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** The API answered with an error envelope, or could not be reached: exit status 1. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number | null;
  readonly code: string | null;

  constructor(
    message: string,
    options: { status?: number | null; code?: string | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? null;
    this.code = options.code ?? null;
  }
}

export function isUsageError(error: unknown): error is UsageError {
  return error instanceof UsageError;
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}
