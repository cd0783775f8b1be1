import { pruneAudit } from "../audit/retention.ts";
import { configFor, type EdgeConfig, type Env } from "../env.ts";
import { pruneEvaluations } from "../evaluations/retention.ts";
import { pruneSignInState } from "../identity/retention.ts";
import { log } from "../log.ts";
import { pruneRuns } from "../runs/store.ts";
import { pruneShares } from "../shares/store.ts";
import { driveSweeps } from "../sweeps/driver.ts";
import { pruneSweeps } from "../sweeps/retention.ts";
import { SWEEP_DRIVER_NAME } from "../sweeps/sweep-driver.ts";

/** Probes every backend of the registry: a backstop for the `BackendHealth` alarm, which stops rescheduling itself without traffic. */
async function probeBackends(config: EdgeConfig): Promise<void> {
  const { registry, health } = config;
  const results = await health.getByName(registry.fleet).probeNow([...registry.pools]);
  const failing = Object.entries(results).filter(([, probe]) => !probe.ok);
  if (failing.length > 0)
    log.warn("backend probes failed", {
      fleet: registry.fleet,
      backends: failing.map(([name]) => name).join(","),
    });
}

/**
 * Deletes audit rows past `SDGATE_AUDIT_RETENTION_DAYS` behind a checkpoint (`audit/retention.ts`),
 * evaluation runs that ended as long ago (they are evidence, kept as long as the audit), the run
 * history's rows as old, sweeps that finished as long ago, and share links that ended as long ago.
 * What else the edge stores expires on its own: R2 images by the bucket's lifecycle rule, the
 * coalescers' index entries with it, jobs by their own alarm, failed-auth counters by theirs.
 */
async function applyRetention(config: EdgeConfig): Promise<void> {
  if (config.retention.auditMs === null) return;
  const evaluations = await pruneEvaluations(config.db, config.retention.auditMs);
  if (evaluations > 0) log.info("evaluation retention", { runs_deleted: evaluations });
  const runs = await pruneRuns(config.db, config.images, config.retention.auditMs);
  if (runs > 0) log.info("run history retention", { runs_deleted: runs });
  const sweeps = await pruneSweeps(config.db, config.retention.auditMs);
  if (sweeps > 0) log.info("sweep retention", { sweeps_deleted: sweeps });
  const shares = await pruneShares(config.db, config.retention.auditMs);
  if (shares > 0) log.info("share link retention", { shares_deleted: shares });
  const result = await pruneAudit(config, config.retention.auditMs);
  if (result.rowsDeleted > 0 || result.stopped !== null)
    log.info("audit retention", {
      rows_deleted: result.rowsDeleted,
      checkpoint_seq: result.checkpoint?.seq ?? null,
      stopped: result.stopped,
    });
}

/** The sweep driver's turn; with cells still waiting, its object takes the next ones within seconds. */
async function driveSweepsNow(config: EdgeConfig, env: Env, executionCtx?: ExecutionContext): Promise<void> {
  const turn = await driveSweeps(env, (work) => executionCtx?.waitUntil(work));
  if (turn.driven > 0 || turn.finished > 0) log.info("sweep driver", { ...turn });
  if (turn.waiting) await config.sweeps.driver.getByName(SWEEP_DRIVER_NAME).wake();
}

/**
 * The cron trigger (wrangler.toml `[triggers]`, every minute): probes the backends, applies the
 * audit retention, deletes ended sessions and takes the sweep driver's turn (the cells the keys'
 * limits left waiting), each whatever happens to the others; fails (after all) if any failed.
 *
 * @example
 * export default { fetch: app.fetch, scheduled: onSchedule };
 */
export async function onSchedule(
  _controller: ScheduledController,
  env: Env,
  executionCtx?: ExecutionContext,
): Promise<void> {
  const config = configFor(env);
  const [probe, retention, sessions, sweeps] = await Promise.allSettled([
    probeBackends(config),
    applyRetention(config),
    pruneSignInState(config),
    driveSweepsNow(config, env, executionCtx),
  ]);
  const failed: string[] = [];
  for (const [step, outcome] of [
    ["probe", probe],
    ["retention", retention],
    ["sessions", sessions],
    ["sweeps", sweeps],
  ] as const) {
    if (outcome.status === "fulfilled") continue;
    failed.push(step);
    log.error("scheduled step failed", {
      step,
      error: outcome.reason instanceof Error ? outcome.reason.message : "unknown",
    });
  }
  // So the cron's own status shows it too.
  if (failed.length > 0) throw new Error(`scheduled steps failed: ${failed.join(", ")}`);
}
