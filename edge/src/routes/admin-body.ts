import { SdgateError } from "@sdgate/shared";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { z } from "zod";

/** Admin request bodies are a few hundred bytes; anything much bigger is a mistake or an attack. */
export const MAX_ADMIN_BODY_BYTES = 16 * 1024;

/** Refuses admin bodies over {@link MAX_ADMIN_BODY_BYTES} with a 413 envelope. */
export const limitAdminBody: MiddlewareHandler = bodyLimit({
  maxSize: MAX_ADMIN_BODY_BYTES,
  onError: () => {
    throw new SdgateError(
      "payload_too_large",
      `The request body must be at most ${MAX_ADMIN_BODY_BYTES} bytes.`,
    );
  },
});

function invalid(issue: z.core.$ZodIssue | undefined): SdgateError {
  if (!issue) return new SdgateError("invalid_request", "Invalid request.");
  const path = issue.path.map(String);
  if (issue.code === "unrecognized_keys") {
    const param = [...path, issue.keys[0] ?? ""].join(".");
    return new SdgateError("invalid_request", `Unknown field '${param}'.`, { param });
  }
  const param = path.length > 0 ? path.join(".") : null;
  const message = param ? `Invalid '${param}': ${issue.message}.` : `Invalid request: ${issue.message}.`;
  return new SdgateError("invalid_request", message, { param });
}

/**
 * The JSON body parsed by `schema`; an empty body counts as `{}`. Throws a 400 naming the first bad
 * field (`limits.concurrency`), or 415 when the body is not JSON.
 */
export async function parseJsonBody<T extends z.ZodType>(c: Context, schema: T): Promise<z.output<T>> {
  const text = await c.req.text();
  let body: unknown = {};
  if (text.trim() !== "") {
    const mediaType = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
    if (mediaType !== "application/json") {
      throw new SdgateError(
        "unsupported_media_type",
        "The request body must be JSON ('Content-Type: application/json').",
      );
    }
    try {
      body = JSON.parse(text);
    } catch {
      throw new SdgateError("invalid_request", "The request body is not valid JSON.");
    }
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error.issues[0]);
  return parsed.data;
}

/** The query parameters parsed by `schema`; a 400 naming the bad parameter otherwise. */
export function parseQuery<T extends z.ZodType>(c: Context, schema: T): z.output<T> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw invalid(parsed.error.issues[0]);
  return parsed.data;
}
