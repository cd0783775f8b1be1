import { z } from "zod";

/** A D1 binding (wrangler.toml `[[d1_databases]]`). */
export const d1Database = z.custom<D1Database>(
  (value) =>
    typeof value === "object" && value !== null && typeof Reflect.get(value, "prepare") === "function",
  "must be a D1 database binding",
);

/** A Durable Object namespace binding (wrangler.toml `[[durable_objects.bindings]]`). */
export function durableObjectNamespace<T extends Rpc.DurableObjectBranded>() {
  return z.custom<DurableObjectNamespace<T>>(
    (value) =>
      typeof value === "object" && value !== null && typeof Reflect.get(value, "idFromName") === "function",
    "must be a Durable Object namespace binding",
  );
}

/** The shortest admin token accepted: 32 characters, e.g. `openssl rand -hex 32` gives 64. */
export const MIN_ADMIN_TOKEN_CHARS = 32;

/** `SDGATE_ADMIN_TOKEN`: optional; without it the admin API refuses every request. */
export const adminTokenSchema = z
  .string()
  .min(MIN_ADMIN_TOKEN_CHARS, `must be at least ${MIN_ADMIN_TOKEN_CHARS} characters`)
  .optional()
  .transform((token) => token ?? null);
