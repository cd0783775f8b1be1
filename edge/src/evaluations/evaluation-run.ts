import { DurableObject } from "cloudflare:workers";
import {
  canonicalJson,
  EVALUATION_SIDES,
  type EvaluationOutput,
  type EvaluationRun as EvaluationRunView,
  type EvaluationSide,
  sideStats,
} from "@sdgate/shared";
import { AUDIT_LOG_NAME, type AuditLog } from "../audit/audit-log.ts";
import type { BackendHealth } from "../backends/health-object.ts";
import { CONTENT_TYPES, fromBase64 } from "../cache/record.ts";
import { type FleetRunBindings, runOnFleet } from "../gateway/fleet-run.ts";
import { log } from "../log.ts";
import { evaluationImageKey, evaluationImageUrl } from "./images.ts";
import type { EvaluationSpec, PlannedItem } from "./plan.ts";
import { saveEvaluation } from "./store.ts";

/** The bindings an {@link EvaluationRun} uses: the fleet, R2 for the images, D1 for the view, the audit log. */
export interface EvaluationRunBindings extends FleetRunBindings {
  BACKEND_HEALTH: DurableObjectNamespace<BackendHealth>;
  DB: D1Database;
  IMAGES: R2Bucket;
  AUDIT_LOG: DurableObjectNamespace<AuditLog>;
}

/** How long one alarm works before it hands over to the next, so no invocation runs for long. */
export const BATCH_MS = 30_000;
/** Wakes of one item before it is recorded as failed rather than tried again (the object kept dying). */
export const MAX_ITEM_TRIES = 3;
/** The platform retries a throwing alarm up to six times (developers.cloudflare.com/durable-objects/api/alarms). */
const LAST_ALARM_RETRY = 6;

/** Where the run stands, kept in storage with the planned items (`item:<index>`) so a new object resumes. */
interface Progress {
  registry: EvaluationSpec["registry"];
  timeoutMs: number;
  location: EvaluationSpec["location"];
  count: number;
  /** The first item not yet recorded. */
  next: number;
  /** Wakes that started item `next` without recording it. */
  tries: number;
}

const TERMINAL = new Set(["succeeded", "failed"]);

const failed = (code: string, message: string): EvaluationOutput => ({
  status: "failed",
  latency_ms: null,
  image_url: null,
  safety: null,
  error: { code, message },
});

/**
 * One evaluation run (`getByName(runId)`): each planned prompt and seed on the candidate and the
 * baseline, one generation after the other, from its alarm. Progress (the next item, the view with
 * each output) is in its storage and in D1 after every item, so an object that dies resumes where it
 * was; an item that kept an object from finishing {@link MAX_ITEM_TRIES} times is recorded as failed.
 * A generation that fails is a failure in the numbers, never the run's; the run ends `failed` only
 * when its own work keeps throwing.
 */
export class EvaluationRun extends DurableObject<EvaluationRunBindings> {
  #running = false;

  /** Stores the run and starts it from the alarm; a run already here is answered as it is. */
  async start(spec: EvaluationSpec): Promise<EvaluationRunView> {
    const existing = await this.ctx.storage.get<EvaluationRunView>("view");
    if (existing !== undefined) return existing;
    const progress: Progress = {
      registry: spec.registry,
      timeoutMs: spec.timeoutMs,
      location: spec.location,
      count: spec.items.length,
      next: 0,
      tries: 0,
    };
    const entries: Record<string, unknown> = { view: spec.view, progress };
    for (const item of spec.items) entries[`item:${item.index}`] = item;
    await this.ctx.storage.put(entries);
    await saveEvaluation(this.env.DB, spec.view);
    await this.ctx.storage.setAlarm(Date.now());
    return spec.view;
  }

  override async alarm(alarmInfo?: AlarmInvocationInfo): Promise<void> {
    const view = await this.ctx.storage.get<EvaluationRunView>("view");
    const progress = await this.ctx.storage.get<Progress>("progress");
    if (view === undefined || progress === undefined || TERMINAL.has(view.status)) return;
    if (this.#running) {
      await this.ctx.storage.setAlarm(Date.now() + this.#backstopMs(progress));
      return;
    }
    this.#running = true;
    try {
      await this.#work(view, progress);
    } catch (error) {
      if ((alarmInfo?.retryCount ?? 0) < LAST_ALARM_RETRY - 1) throw error;
      log.error("an evaluation run kept failing; ending it", {
        evaluation_id: view.id,
        error: error instanceof Error ? error.name : "unknown",
      });
      const latest = (await this.ctx.storage.get<EvaluationRunView>("view")) ?? view;
      await this.#end(latest, "failed", "The run kept failing and was given up.");
    } finally {
      this.#running = false;
    }
  }

  // Past this, a wake finds the object gone mid-item and resumes: every attempt of both sides may time out.
  #backstopMs(progress: Progress): number {
    return progress.timeoutMs * 3 + 30_000;
  }

  async #work(initial: EvaluationRunView, progress: Progress): Promise<void> {
    let view: EvaluationRunView = initial.status === "queued" ? { ...initial, status: "running" } : initial;
    const startedMs = Date.now();
    while (progress.next < progress.count) {
      const index = progress.next;
      await this.ctx.storage.setAlarm(Date.now() + this.#backstopMs(progress));
      progress.tries += 1;
      await this.ctx.storage.put("progress", progress);
      const item = await this.ctx.storage.get<PlannedItem>(`item:${index}`);
      const outputs =
        item === undefined
          ? {
              candidate: failed("internal_error", "The item was lost."),
              baseline: failed("internal_error", "The item was lost."),
            }
          : progress.tries > MAX_ITEM_TRIES
            ? {
                candidate: failed("internal_error", `Interrupted ${MAX_ITEM_TRIES} times.`),
                baseline: failed("internal_error", `Interrupted ${MAX_ITEM_TRIES} times.`),
              }
            : await this.#runItem(view.id, item, progress);
      view = withOutputs(view, index, outputs);
      progress.next = index + 1;
      progress.tries = 0;
      await this.ctx.storage.put({ view, progress });
      await this.ctx.storage.delete(`item:${index}`);
      await saveEvaluation(this.env.DB, view);
      if (progress.next < progress.count && Date.now() - startedMs >= BATCH_MS) {
        await this.ctx.storage.setAlarm(Date.now());
        return;
      }
    }
    await this.#end(view, "succeeded", null);
  }

  async #runItem(
    id: string,
    item: PlannedItem,
    progress: Progress,
  ): Promise<Record<EvaluationSide, EvaluationOutput>> {
    // One side after the other, so neither's latency includes the other's queueing; the order
    // alternates so a backend warming up does not favour one side.
    const order = item.index % 2 === 0 ? EVALUATION_SIDES : [...EVALUATION_SIDES].reverse();
    const outputs: Partial<Record<EvaluationSide, EvaluationOutput>> = {};
    for (const side of order) outputs[side] = await this.#runSide(id, item, side, progress);
    const lost = failed("internal_error", "The side did not run.");
    return { candidate: outputs.candidate ?? lost, baseline: outputs.baseline ?? lost };
  }

  async #runSide(
    id: string,
    item: PlannedItem,
    side: EvaluationSide,
    progress: Progress,
  ): Promise<EvaluationOutput> {
    const request = item[side];
    const name = `${id}-${item.index}-${side}`;
    const outcome = await runOnFleet(
      {
        tenantTag: "evaluations",
        cacheKey: name,
        request,
        registry: progress.registry,
        timeoutMs: progress.timeoutMs,
        location: progress.location,
        requestId: name,
        tenant: `evaluation:${id}`,
      },
      this.env,
      (promise) => this.ctx.waitUntil(promise),
    );
    if (!outcome.ok) return failed(outcome.error.code, outcome.error.message);
    const { record, fleetMs } = outcome;
    const image = record.images[0];
    if (image === undefined)
      return { ...failed("internal_error", "The backend sent no image."), latency_ms: fleetMs };
    await this.env.IMAGES.put(evaluationImageKey(id, item.index, side), fromBase64(image.b64), {
      httpMetadata: { contentType: CONTENT_TYPES[record.output_format] },
    });
    return {
      status: "succeeded",
      latency_ms: fleetMs,
      image_url: evaluationImageUrl(id, item.index, side),
      safety: image.safety?.outcome ?? null,
      error: null,
    };
  }

  async #end(view: EvaluationRunView, status: "succeeded" | "failed", error: string | null): Promise<void> {
    const ended: EvaluationRunView = { ...view, status, error, finished_at: new Date().toISOString() };
    await this.ctx.storage.put("view", ended);
    await this.ctx.storage.deleteAlarm();
    await saveEvaluation(this.env.DB, ended);
    await this.#audit(ended);
  }

  async #audit(run: EvaluationRunView): Promise<void> {
    const numbers = (side: EvaluationRunView["candidate"]) => ({
      version: side.version,
      failure_rate: side.failure_rate,
      p50_ms: side.latency_ms.p50,
      p95_ms: side.latency_ms.p95,
      flagged_rate: side.flagged_rate,
    });
    try {
      await this.env.AUDIT_LOG.getByName(AUDIT_LOG_NAME).append({
        at: new Date().toISOString(),
        actor: run.created_by,
        action: "evaluation.finish",
        key_id: null,
        request_hash: null,
        backend: null,
        status: run.status === "succeeded" ? 200 : 500,
        latency_ms: null,
        cost: null,
        detail: canonicalJson({
          evaluation_id: run.id,
          model_id: run.model_id,
          status: run.status,
          candidate: numbers(run.candidate),
          baseline: numbers(run.baseline),
        }),
      });
    } catch (error) {
      // The run stands either way, as admin-audit does.
      log.error("audit append failed", { evaluation_id: run.id, error: (error as Error).message });
    }
  }
}

/** The view with item `index`'s outputs recorded and both sides' numbers recomputed. */
function withOutputs(
  view: EvaluationRunView,
  index: number,
  outputs: Record<EvaluationSide, EvaluationOutput>,
): EvaluationRunView {
  const items = view.items.map((item) => (item.index === index ? { ...item, ...outputs } : item));
  return {
    ...view,
    items,
    candidate: sideStats(
      view.candidate,
      items.map((item) => item.candidate),
    ),
    baseline: sideStats(
      view.baseline,
      items.map((item) => item.baseline),
    ),
  };
}
