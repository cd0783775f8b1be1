import {
  EXPERIMENT_HEADER,
  EXPERIMENT_NAME_PATTERN,
  type ResolvedGenerationRequest,
  SdgateError,
} from "@sdgate/shared";
import { tenantTag } from "../cache/key.ts";
import { log } from "../log.ts";
import { teamRulesForKey } from "../policies/cache.ts";
import { keepInputs, withInputReferences } from "./inputs.ts";
import { experimentId, ownerOf, type RunRan, type RunRow, recordRun, runRowOf } from "./store.ts";

/** How a generation ended, as its run records it. */
export interface RunEnd {
  id: string;
  keyId: string;
  status: RunRow["status"];
  cost: number | null;
  latencyMs: number | null;
  backend: string | null;
  errorCode: string | null;
  /** Where its images were kept (`null`: not where a link reaches them). */
  where: { tenantTag: string; cacheKey: string } | null;
  /** The experiment it joins, by name (`Sdgate-Experiment`); `null`: none. */
  experiment: string | null;
  /** The engine that ran it and its stage timings; absent for a replay or a failure. */
  ran?: RunRan;
}

/** Where the run history keeps what it records: rows in D1, input images in R2. */
export interface RunStores {
  db: D1Database;
  images: R2Bucket;
}

/**
 * Records a generation in its team's run history, its input images kept once in the team's R2
 * namespace first (so a row never refers to bytes not yet there). Never rejects: history that
 * cannot be written costs the history one row, never the request (it is logged).
 *
 * @example
 * inBackground(c, recordGeneration(config, resolved, { id: requestId, keyId, status: "succeeded", … }));
 */
export async function recordGeneration(
  stores: RunStores,
  resolved: ResolvedGenerationRequest,
  end: RunEnd,
): Promise<void> {
  const { db } = stores;
  try {
    const team = await teamRulesForKey(db, end.keyId);
    const scope = team ? { teamId: team.teamId } : { keyId: end.keyId };
    const experiment =
      end.experiment === null ? null : await experimentId(db, scope, end.experiment, end.keyId);
    const { request, inputs } = await withInputReferences(resolved);
    if (inputs.length > 0) await keepInputs(stores.images, await tenantTag(ownerOf(scope)), inputs);
    await recordRun(
      db,
      runRowOf(resolved, {
        id: end.id,
        request,
        keyId: end.keyId,
        teamId: team?.teamId ?? null,
        status: end.status,
        cost: end.cost,
        latency_ms: end.latencyMs,
        backend: end.backend,
        error_code: end.errorCode,
        tenant_tag: end.where?.tenantTag ?? null,
        cache_key: end.where?.cacheKey ?? null,
        experiment_id: experiment,
        ...(end.ran === undefined ? {} : { ran: end.ran }),
      }),
    );
  } catch (error) {
    log.warn("run history write failed", { run_id: end.id, error: (error as Error).name });
  }
}

/**
 * The experiment a generation request names (`Sdgate-Experiment`), or `null`; a name that is not one
 * is refused before anything runs, naming the header.
 *
 * @example
 * const experiment = experimentHeader(c.req.header(EXPERIMENT_HEADER));
 */
export function experimentHeader(value: string | undefined): string | null {
  if (value === undefined) return null;
  const name = value.trim();
  if (!EXPERIMENT_NAME_PATTERN.test(name))
    throw new SdgateError(
      "invalid_request",
      `Invalid '${EXPERIMENT_HEADER}': an experiment's name is 1 to 64 letters, digits, spaces or . : / - _, starting with a letter, digit or _.`,
      { param: EXPERIMENT_HEADER },
    );
  return name;
}
