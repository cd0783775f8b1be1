import { z } from "zod";
import { MIN_URL_SIGNING_KEY_CHARS } from "./signed-url.ts";

/** An R2 bucket binding (wrangler.toml `[[r2_buckets]]`). */
export const r2Bucket = z.custom<R2Bucket>(
  (value) =>
    typeof value === "object" &&
    value !== null &&
    typeof Reflect.get(value, "put") === "function" &&
    typeof Reflect.get(value, "head") === "function",
  "must be an R2 bucket binding",
);

/** `SDGATE_URL_SIGNING_KEY`: optional; without it `response_format: "url"` is refused. */
export const urlSigningKeySchema = z
  .string()
  .min(MIN_URL_SIGNING_KEY_CHARS, `must be at least ${MIN_URL_SIGNING_KEY_CHARS} characters`)
  .optional()
  .transform((key) => key ?? null);
