import {
  axisSetsField,
  isSdgateError,
  SdgateError,
  type SweepAxis,
  type SweepCell,
  type SweepPrice,
} from "@sdgate/shared";
import type { Context } from "hono";
import { readTeamBudget } from "../budgets/index.ts";
import type { AppEnv } from "../hono-env.ts";
import { estimateGeneration } from "../jobs/estimate.ts";
import { fleetTimings } from "../jobs/step-timings.ts";
import { modelCredits } from "../limits/index.ts";
import { resolveServed, type ServingModel, servingModel, servingRefiner } from "../model-registry/serving.ts";
import { teamRulesForKey } from "../policies/cache.ts";
import { enforceGovernance } from "../policies/index.ts";

/**
 * The whole grid priced as `POST /v1/estimate` prices one request: each cell resolved against the
 * model it names and its refiner's (so a version or alias prices as what it serves, a refiner's steps
 * at its own rate), its credits and GPU-seconds summed.
 * Each cell must also pass the team's grants and prompt policies: a grid with one refused cell is
 * refused before anything runs, as a refused request gets nothing.
 */
export async function priceSweep(
  c: Context<AppEnv>,
  axes: readonly SweepAxis[],
  cells: readonly SweepCell[],
): Promise<SweepPrice> {
  const { config } = c.var;
  const timings = await fleetTimings(config.registry, Date.now(), config.keyring);
  // each model and refiner looked up once for the whole grid
  const models = new Map<string, Promise<ServingModel>>();
  const refiners = new Map<string, Promise<ServingModel | null>>();
  const once = <T>(cache: Map<string, Promise<T>>, name: string, lookUp: () => Promise<T>) => {
    const known = cache.get(name) ?? lookUp();
    cache.set(name, known);
    return known;
  };
  let credits = 0;
  let gpuSeconds = 0;
  for (const cell of cells) {
    const { request } = cell;
    const [serving, refiner] = await Promise.all([
      once(models, request.model ?? "", () => servingModel(config, request.model)),
      once(refiners, request.refiner?.model ?? "", () => servingRefiner(config, request)),
    ]);
    // The seed changes nothing about the cost.
    const resolved = resolvedCell(axes, cell, () =>
      resolveServed(request, serving, request.seed ?? 0, refiner),
    );
    await enforceGovernance(c, resolved, { ...serving, refinerRef: refiner?.ref ?? null });
    credits += modelCredits(resolved, serving.info.architecture);
    gpuSeconds += estimateGeneration(
      resolved,
      serving.info.architecture,
      timings,
      config.jobs.gpuHourPrice,
    ).gpuSeconds;
  }
  return { cells: cells.length, credits, gpu_seconds: Math.round(gpuSeconds * 1e6) / 1e6 };
}

/** Credits left this month of the key's team's budget; `null`: no team, or a team without a limit. */
export async function budgetRemaining(c: Context<AppEnv>): Promise<number | null> {
  const team = await teamRulesForKey(c.var.config.db, c.var.apiKey.id);
  if (team === null) return null;
  const { usage } = await readTeamBudget(c.var.config, team.teamId);
  return usage.remaining;
}

/** Why the grid may not run (its price past what the budget has left, or past `max_credits`), or `null`. */
export function refusalOf(
  price: SweepPrice,
  remaining: number | null,
  maxCredits: number | null,
): SdgateError | null {
  if (maxCredits !== null && price.credits > maxCredits)
    return new SdgateError(
      "budget_exceeded",
      `The sweep's ${price.cells} cells cost ${price.credits} credits, more than max_credits (${maxCredits}).`,
      { param: "max_credits" },
    );
  if (remaining !== null && price.credits > remaining)
    return new SdgateError(
      "budget_exceeded",
      `The sweep's ${price.cells} cells cost ${price.credits} credits; the team's budget has ${remaining} left this month.`,
    );
  return null;
}

/**
 * A cell resolved against its model; a value past the model's limits (too many steps, too large a
 * size) is refused naming the axis and value that made it, as the contract's checks name theirs.
 */
function resolvedCell<T>(axes: readonly SweepAxis[], cell: SweepCell, resolve: () => T): T {
  try {
    return resolve();
  } catch (error) {
    if (!isSdgateError(error) || error.code !== "invalid_request" || error.param === null) throw error;
    const field = error.param;
    const axisIndex = axes.findIndex((axis) => axisSetsField(axis.field, field));
    if (axisIndex < 0) throw error;
    const position = [cell.coordinates.x, cell.coordinates.y, cell.coordinates.z][axisIndex] ?? 0;
    const value = JSON.stringify(axes[axisIndex]?.values[position]).slice(0, 60);
    throw new SdgateError(
      "invalid_request",
      `Invalid 'axes.${axisIndex}.values.${position}' (${field} ${value}): ${error.message}`,
      { param: `axes.${axisIndex}.values.${position}` },
    );
  }
}
