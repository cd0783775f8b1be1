import type { AnswerOf, EvaluationBody, EvaluationRun, EvaluationSide } from "@sdgate/shared";
import { callOf, callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/** How often {@link Evaluations.wait} reads the run, unless told otherwise. */
export const DEFAULT_EVALUATION_POLL_MS = 2_000;

const TERMINAL: ReadonlySet<string> = new Set(["succeeded", "failed"]);

/**
 * Evaluation runs (`/admin/models/{id}/evaluations`, `/admin/evaluations`), with the admin token: a
 * prompt set generated on a candidate version and a baseline (default the `production` alias), with
 * latency, failure and safety-check rates side by side. A promotion request cites a run as evidence
 * (`{ kind: "evaluation", ref: run.id }`).
 *
 * @example
 * const admin = new Sdgate({ baseUrl, adminToken });
 * const run = await admin.evaluations.start("sd15", { candidate: "v3" });
 * const done = await admin.evaluations.wait(run.id);
 * console.log(done.candidate.latency_ms.p95, done.baseline.latency_ms.p95);
 */
export class Evaluations {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Starts a run in the background (202); an unknown candidate or baseline is a 400 naming it. Never
   * retried on a lost answer (a retry would start a second run).
   *
   * @example
   * const run = await admin.evaluations.start("sd15", { candidate: "v3", baseline: "staging", seeds: 2 });
   */
  async start(modelId: string, body: EvaluationBody, options: RequestOptions = {}): Promise<EvaluationRun> {
    return callOperation(this.#transport, "startEvaluation", { id: modelId, body }, options);
  }

  /**
   * A model's runs, newest first, without their items.
   *
   * @example
   * const { data } = await admin.evaluations.list("sd15");
   */
  async list(modelId: string, options: RequestOptions = {}): Promise<AnswerOf<"listEvaluations">> {
    return callOperation(this.#transport, "listEvaluations", { id: modelId }, options);
  }

  /**
   * One run, with each item's outputs.
   *
   * @example
   * const { status, candidate, baseline } = await admin.evaluations.get("evl_…");
   */
  async get(id: string, options: RequestOptions = {}): Promise<EvaluationRun> {
    return callOperation(this.#transport, "getEvaluation", { id }, options);
  }

  /**
   * Reads the run until it ends, calling `onProgress` with each reading.
   *
   * @example
   * const run = await admin.evaluations.wait("evl_…", { onProgress: (r) => console.log(r.candidate.count) });
   */
  async wait(
    id: string,
    options: RequestOptions & { pollMs?: number; onProgress?: (run: EvaluationRun) => void } = {},
  ): Promise<EvaluationRun> {
    const { pollMs = DEFAULT_EVALUATION_POLL_MS, onProgress, ...request } = options;
    for (;;) {
      const run = await this.get(id, request);
      onProgress?.(run);
      if (TERMINAL.has(run.status)) return run;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /**
   * The image one side made for one item.
   *
   * @example
   * const { bytes, contentType } = await admin.evaluations.image("evl_…", 0, "candidate");
   */
  async image(
    id: string,
    index: number,
    side: EvaluationSide,
    options: RequestOptions = {},
  ): Promise<{ bytes: Uint8Array; contentType: string | null }> {
    const answer = await this.#transport.bytes(
      callOf("getEvaluationImage", { id, query: { index, side } }),
      options,
    );
    return { bytes: answer.bytes, contentType: answer.response.headers.get("content-type") };
  }
}
