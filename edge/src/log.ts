/**
 * One JSON line per event, so Workers Logs (and `wrangler tail`) can filter by field. Callers pass
 * only what is safe to keep: never an API key, a secret, a request body or the `Authorization` header.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

type Level = "info" | "warn" | "error";

function write(level: Level, msg: string, fields: LogFields): void {
  const line = JSON.stringify({ level, msg, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/**
 * @example
 * log.warn("backend attempt failed", { request_id: c.var.requestId, backend: "local-a", reason: "timeout" });
 */
export const log = {
  info: (msg: string, fields: LogFields = {}): void => write("info", msg, fields),
  warn: (msg: string, fields: LogFields = {}): void => write("warn", msg, fields),
  error: (msg: string, fields: LogFields = {}): void => write("error", msg, fields),
};
