import { ApiError, UsageError } from "./io.ts";

/** Where the edge is and how to be admin there: `--url`/`SDGATE_URL`, `--admin-token`/`SDGATE_ADMIN_TOKEN`. */
export interface Connection {
  url: string;
  adminToken: string;
  fetch: typeof fetch;
  /** Per request; the admin API answers in milliseconds. */
  timeoutMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 30_000;

/** The request the CLI sends, built separately from sending it so tests can check it. */
export interface ApiRequest {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  url: string;
  headers: Record<string, string>;
  body?: string;
}

/** Builds an admin API request: the bearer token, JSON body and query string. */
export function buildRequest(
  connection: Pick<Connection, "url" | "adminToken">,
  method: ApiRequest["method"],
  path: string,
  options: { body?: unknown; query?: Record<string, string | number | undefined> } = {},
): ApiRequest {
  let base: URL;
  try {
    base = new URL(connection.url);
  } catch {
    throw new UsageError(`SDGATE_URL / --url is not a URL: '${connection.url}'.`);
  }
  if (base.protocol !== "http:" && base.protocol !== "https:") {
    throw new UsageError("SDGATE_URL / --url must be an http:// or https:// URL.");
  }
  const url = new URL(path.replace(/^\//, ""), base.href.endsWith("/") ? base.href : `${base.href}/`);
  for (const [name, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const headers: Record<string, string> = {
    Authorization: `Bearer ${connection.adminToken}`,
    Accept: "application/json",
    "User-Agent": "sdgate-cli/0.1",
  };
  const request: ApiRequest = { method, url: url.href, headers };
  if (options.body !== undefined) {
    headers["Content-Type"] = "application/json";
    request.body = JSON.stringify(options.body);
  }
  return request;
}

interface Envelope {
  error?: { code?: string; message?: string; param?: string | null };
  request_id?: string;
}

/** Sends `request`; the parsed JSON on 2xx, an {@link ApiError} carrying the envelope's message otherwise. */
export async function send<T>(connection: Connection, request: ApiRequest): Promise<T> {
  let response: Response;
  try {
    response = await connection.fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(connection.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    throw new ApiError(`Could not reach ${new URL(request.url).origin}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text === "" ? null : JSON.parse(text);
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!response.ok) {
    const envelope = (body ?? {}) as Envelope;
    const message = envelope.error?.message ?? `HTTP ${response.status}`;
    const where = envelope.request_id ? ` (request ${envelope.request_id})` : "";
    throw new ApiError(`${message}${where}`, { status: response.status, code: envelope.error?.code ?? null });
  }
  if (body === null)
    throw new ApiError(`The server answered ${response.status} without JSON.`, { status: response.status });
  return body as T;
}
