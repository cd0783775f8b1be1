import { z } from "zod";
import type { SchedulerConfig } from "./types.ts";

/**
 * A `scheduler_config.json` value this port cannot honour. `key` is the config key, `value` what it
 * was; the model loader reports it against the model's `scheduler/scheduler_config.json`.
 */
export class SchedulerConfigError extends Error {
  override readonly name = "SchedulerConfigError";
  readonly key: string;
  readonly value: unknown;

  constructor(scheduler: string, key: string, value: unknown, reason: string) {
    super(`${scheduler} config: ${key} = ${JSON.stringify(value)} is not supported (${reason})`);
    this.key = key;
    this.value = value;
  }
}

export function isSchedulerConfigError(error: unknown): error is SchedulerConfigError {
  return error instanceof SchedulerConfigError;
}

type Spacing = "linspace" | "leading" | "trailing";

/**
 * The keys every discrete scheduler shares, with one scheduler's defaults. Like diffusers'
 * `from_config`, keys of other schedulers (`skip_prk_steps`, `clip_sample` for Euler, `_class_name`)
 * are ignored, and a key the file lacks takes this scheduler's default, not the file's class's.
 */
export function noiseScheduleFields(defaults: {
  beta_start?: number;
  beta_end?: number;
  beta_schedule?: "linear" | "scaled_linear";
  timestep_spacing: Spacing;
}) {
  return {
    num_train_timesteps: z.number().int().positive().default(1000),
    beta_start: z
      .number()
      .positive()
      .default(defaults.beta_start ?? 0.0001),
    beta_end: z
      .number()
      .positive()
      .default(defaults.beta_end ?? 0.02),
    beta_schedule: z
      .enum(["linear", "scaled_linear", "squaredcos_cap_v2"])
      .default(defaults.beta_schedule ?? "linear"),
    trained_betas: z.array(z.number()).nullable().default(null),
    prediction_type: z.enum(["epsilon", "v_prediction", "sample"]).default("epsilon"),
    timestep_spacing: z.enum(["linspace", "leading", "trailing"]).default(defaults.timestep_spacing),
    steps_offset: z.number().int().nonnegative().default(0),
    rescale_betas_zero_snr: z.boolean().default(false),
  };
}

/** Accepted only at diffusers' default, so a config that needs the feature fails loudly. */
export const onlyFalse = z.literal(false).nullable().default(false);

/** Parse a config object with `schema`, naming the offending key when one is invalid or unsupported. */
export function parseSchedulerConfig<T extends z.ZodType>(
  scheduler: string,
  schema: T,
  config: SchedulerConfig,
): z.infer<T> {
  const result = schema.safeParse(config);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const key = issue?.path.map(String).join(".") ?? "?";
  throw new SchedulerConfigError(scheduler, key, config[key], issue?.message ?? "invalid");
}

/** diffusers sizes the schedule by `num_train_timesteps` but indexes `trained_betas`: they must agree. */
export function checkTrainedBetas(
  scheduler: string,
  config: { trained_betas: number[] | null; num_train_timesteps: number },
): void {
  const { trained_betas, num_train_timesteps } = config;
  if (trained_betas !== null && trained_betas.length !== num_train_timesteps) {
    throw new SchedulerConfigError(
      scheduler,
      "trained_betas",
      `${trained_betas.length} values`,
      `needs num_train_timesteps = ${num_train_timesteps} values`,
    );
  }
}
