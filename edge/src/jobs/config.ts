import { z } from "zod";
import { durableObjectNamespace } from "../keys/config.ts";
import type { GenerationJob } from "./generation-job.ts";

/**
 * The jobs part of the Worker's env (merged into `Env` in `env.ts`):
 * - `GENERATION_JOB`: Durable Object binding, one `GenerationJob` per async job.
 * - `SDGATE_GPU_HOUR_PRICE`: optional var, the price of one GPU-hour (a decimal, e.g. `"2.50"`) that
 *   `POST /v1/estimate` multiplies GPU-seconds by; without it the estimate's `cost` is `null`.
 * - `SDGATE_AUTO_ASYNC_MS`: optional var, the estimated duration (queue wait + GPU time, ms) above
 *   which `POST /v1/images/generations` answers 202 with a job instead of waiting. Default: half of
 *   `SDGATE_BACKEND_TIMEOUT_MS` (so a synchronous request leaves time for one failover), at least
 *   {@link MIN_DEFAULT_AUTO_ASYNC_MS}; never above `SDGATE_BACKEND_TIMEOUT_MS` (see
 *   {@link autoAsyncConflict}).
 * - `SDGATE_WEBHOOK_SECRET`: optional secret (≥ 32 characters) from which each API key's webhook
 *   signing secret is derived; without it `Sdgate-Webhook-Url` is refused.
 * - `SDGATE_WEBHOOK_ALLOW_LOOPBACK`: optional var, `"true"` lets webhooks go to `http://127.0.0.1`,
 *   `http://localhost` and `http://[::1]` (local development and tests only).
 */
export interface JobsEnv {
  GENERATION_JOB: DurableObjectNamespace<GenerationJob>;
  SDGATE_GPU_HOUR_PRICE?: string;
  SDGATE_AUTO_ASYNC_MS?: string;
  SDGATE_WEBHOOK_SECRET?: string;
  SDGATE_WEBHOOK_ALLOW_LOOPBACK?: string;
}

export interface JobsConfig {
  namespace: DurableObjectNamespace<GenerationJob>;
  /** `null` when unset: estimates then carry no cost. */
  gpuHourPrice: number | null;
  /** Above this estimated duration a synchronous request becomes a job. */
  autoAsyncMs: number;
  /** `null` when unset: webhooks are then refused. */
  webhookSecret: string | null;
  allowLoopbackWebhooks: boolean;
}

export const MIN_WEBHOOK_SECRET_CHARS = 32;
/** The default auto-async threshold's floor: a short backend timeout is about failing fast, not about async. */
export const MIN_DEFAULT_AUTO_ASYNC_MS = 5_000;

const decimal = z
  .string()
  .regex(/^\s*\d{1,9}(\.\d{1,9})?\s*$/, "must be a decimal number such as 2.50")
  .transform(Number)
  .optional()
  .transform((price) => price ?? null);

const milliseconds = z
  .string()
  .regex(/^\s*\d{1,9}\s*$/, "must be a whole number of milliseconds")
  .transform(Number)
  .optional();

/** The zod shape of {@link JobsEnv}, spread into the edge's env schema. */
export const jobsEnvShape = {
  GENERATION_JOB: durableObjectNamespace<GenerationJob>(),
  SDGATE_GPU_HOUR_PRICE: decimal,
  SDGATE_AUTO_ASYNC_MS: milliseconds,
  SDGATE_WEBHOOK_SECRET: z
    .string()
    .min(MIN_WEBHOOK_SECRET_CHARS, `must be at least ${MIN_WEBHOOK_SECRET_CHARS} characters`)
    .optional()
    .transform((secret) => secret ?? null),
  SDGATE_WEBHOOK_ALLOW_LOOPBACK: z
    .enum(["true", "false"], 'must be "true" or "false"')
    .optional()
    .transform((flag) => flag === "true"),
};

/**
 * Why `SDGATE_AUTO_ASYNC_MS` cannot stand beside this backend timeout, or `null`: a request estimated
 * to run longer than one synchronous attempt may wait would only time out (and, past Cloudflare's
 * 100 s, meet a 524) instead of becoming a job.
 */
export function autoAsyncConflict(env: {
  SDGATE_AUTO_ASYNC_MS?: number | undefined;
  SDGATE_BACKEND_TIMEOUT_MS: number;
}): string | null {
  if (env.SDGATE_AUTO_ASYNC_MS === undefined || env.SDGATE_AUTO_ASYNC_MS <= env.SDGATE_BACKEND_TIMEOUT_MS)
    return null;
  return `must be at most SDGATE_BACKEND_TIMEOUT_MS (${env.SDGATE_BACKEND_TIMEOUT_MS}): a synchronous request estimated past it would time out instead of becoming a job`;
}

type ParsedJobsEnv = z.output<z.ZodObject<typeof jobsEnvShape>> & { SDGATE_BACKEND_TIMEOUT_MS: number };

/**
 * @example
 * const jobs = jobsConfigOf(parsedEnv); // in env.ts's transform
 */
export function jobsConfigOf(env: ParsedJobsEnv): JobsConfig {
  return {
    namespace: env.GENERATION_JOB,
    gpuHourPrice: env.SDGATE_GPU_HOUR_PRICE,
    autoAsyncMs:
      env.SDGATE_AUTO_ASYNC_MS ??
      Math.max(MIN_DEFAULT_AUTO_ASYNC_MS, Math.floor(env.SDGATE_BACKEND_TIMEOUT_MS / 2)),
    webhookSecret: env.SDGATE_WEBHOOK_SECRET,
    allowLoopbackWebhooks: env.SDGATE_WEBHOOK_ALLOW_LOOPBACK,
  };
}
