/**
 * Cloudflare limits each Worker variable to 5 KB ("Environment variable size", Workers platform
 * limits); counted here as 5,000 bytes of UTF-8, the stricter reading, so a deploy that passes here
 * is not refused by Cloudflare.
 */
export const WORKER_VAR_MAX_BYTES = 5_000;

/** What the edge's environment gets from the stack, as `wrangler deploy --var NAME:value` pairs. */
export interface EdgeVarsInput {
  /** The registry document (SDGATE_BACKENDS). */
  registry: unknown;
  /** The model catalog (SDGATE_MODELS). */
  models: unknown;
  /** SDGATE_*_RETENTION_* from the stack's retention. */
  retentionVars: Record<string, string>;
}

/**
 * @example
 * const vars = edgeVars({ registry, models, retentionVars: retention.vars });
 */
export function edgeVars(input: EdgeVarsInput): Record<string, string> {
  return {
    SDGATE_BACKENDS: JSON.stringify(input.registry),
    SDGATE_MODELS: JSON.stringify(input.models),
    ...input.retentionVars,
  };
}

/** Every var over {@link WORKER_VAR_MAX_BYTES}, named with its size and what makes it big. */
export function workerVarProblems(vars: Record<string, string>): string[] {
  return Object.entries(vars).flatMap(([name, value]) => {
    const bytes = new TextEncoder().encode(value).length;
    if (bytes <= WORKER_VAR_MAX_BYTES) return [];
    const hint =
      name === "SDGATE_BACKENDS"
        ? " (each pool's `near` list counts; shorten them, or split the fleet across two edges)"
        : name === "SDGATE_MODELS"
          ? " (drop descriptions, or serve fewer models from this edge)"
          : "";
    return [
      `${name} is ${bytes} bytes, over the ${WORKER_VAR_MAX_BYTES} bytes Cloudflare allows a Worker variable${hint}`,
    ];
  });
}
