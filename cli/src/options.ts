import { type ParseArgsConfig, parseArgs } from "node:util";
import type { Connection } from "./client.ts";
import { type Io, UsageError } from "./io.ts";

/** Options every command that calls the API takes. */
export const CONNECTION_OPTIONS = {
  url: { type: "string" },
  "admin-token": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsConfig["options"];

/** `parseArgs` with strict checking, turning its errors into {@link UsageError}s. */
export function parse<O extends NonNullable<ParseArgsConfig["options"]>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** The edge's URL and admin token: flags first, then `SDGATE_URL` / `SDGATE_ADMIN_TOKEN`. */
export function connectionOf(values: { url?: string; "admin-token"?: string }, io: Io): Connection {
  const url = values.url ?? io.env.SDGATE_URL;
  const adminToken = values["admin-token"] ?? io.env.SDGATE_ADMIN_TOKEN;
  if (!url) throw new UsageError("Set SDGATE_URL or pass --url (e.g. http://127.0.0.1:8787).");
  if (!adminToken)
    throw new UsageError("Set SDGATE_ADMIN_TOKEN or pass --admin-token (`npm start` prints it).");
  return { url, adminToken, fetch: io.fetch };
}

/** A whole number ≥ `min` from a flag, or a usage error naming the flag. */
export function wholeNumber(flag: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min) {
    throw new UsageError(`--${flag} must be a whole number${min > 0 ? ` ≥ ${min}` : ""}, got '${value}'.`);
  }
  return Number(value);
}
