import { type ParseArgsConfig, parseArgs } from "node:util";
import { Sdgate } from "@sdgate/sdk";
import { type Io, UsageError } from "./io.ts";

/** Options every command that calls the admin API takes. */
export const CONNECTION_OPTIONS = {
  url: { type: "string" },
  "admin-token": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsConfig["options"];

/**
 * Each call's limit, retries included. The admin API answers in milliseconds; a job's event stream
 * is bounded only while it opens (the SDK stops the timer once it is open).
 */
export const REQUEST_TIMEOUT_MS = 30_000;

/** `parseArgs` with strict checking, turning its errors into {@link UsageError}s. */
export function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

// The SDK names its options as a program would; a person set a flag or a variable.
const SOURCES: Readonly<Record<string, string>> = {
  baseUrl: "SDGATE_URL / --url",
  apiKey: "SDGATE_API_KEY / --api-key",
  adminToken: "SDGATE_ADMIN_TOKEN / --admin-token",
};

function required(value: string | undefined, message: string): string {
  if (!value) throw new UsageError(message);
  return value;
}

function urlOf(values: { url?: string }, io: Io): string {
  return required(
    values.url ?? io.env.SDGATE_URL,
    "Set SDGATE_URL or pass --url (e.g. http://127.0.0.1:8787).",
  );
}

/** How the CLI names itself to the edge (its logs tell it apart from other SDK users). */
const CLI_USER_AGENT = "sdgate-cli/0.1";

function clientOf(url: string, credential: { apiKey: string } | { adminToken: string }, io: Io): Sdgate {
  try {
    return new Sdgate({
      baseUrl: url,
      ...credential,
      fetch: io.fetch,
      timeoutMs: REQUEST_TIMEOUT_MS,
      userAgent: CLI_USER_AGENT,
    });
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new UsageError(error.message.replace(/^Sdgate: (\w+)/, (_, name: string) => SOURCES[name] ?? name));
  }
}

/** A client with the admin token: flags first, then `SDGATE_URL` / `SDGATE_ADMIN_TOKEN`. */
export function adminClient(values: { url?: string; "admin-token"?: string }, io: Io): Sdgate {
  const url = urlOf(values, io);
  const adminToken = required(
    values["admin-token"] ?? io.env.SDGATE_ADMIN_TOKEN,
    "Set SDGATE_ADMIN_TOKEN or pass --admin-token (`npm start` prints it).",
  );
  return clientOf(url, { adminToken }, io);
}

/** A client with an API key: flags first, then `SDGATE_URL` / `SDGATE_API_KEY`. */
export function apiClient(values: { url?: string; "api-key"?: string }, io: Io): Sdgate {
  const url = urlOf(values, io);
  const apiKey = required(
    values["api-key"] ?? io.env.SDGATE_API_KEY,
    "Set SDGATE_API_KEY or pass --api-key (`npm start` prints one).",
  );
  return clientOf(url, { apiKey }, io);
}

/** A whole number ≥ `min` from a flag, or a usage error naming the flag. */
export function wholeNumber(flag: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${flag} must be a whole number${min > 0 ? ` ≥ ${min}` : ""}, got '${value}'.`);
  }
  return Number(value);
}
