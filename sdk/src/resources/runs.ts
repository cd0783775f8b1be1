import type { ExperimentList, Run, RunList, RunListQuery, RunNotesBody } from "@sdgate/shared";
import { callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * The run history (`GET /v1/runs`): the generations of the key's team (or the key's own), newest
 * first, with their requests, costs, outcomes and signed links to their images.
 *
 * @example
 * const { data, next_before } = await client.runs.list({ status: "failed" });
 */
export class Runs {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * One page of runs; pass `next_before` as `before` for the next (older) one.
   *
   * @example
   * const page = await client.runs.list({ q: "lighthouse", limit: 20 });
   */
  async list(query: RunListQuery = {}, options: RequestOptions = {}): Promise<RunList> {
    return callOperation(this.#transport, "listRuns", { query }, options);
  }

  /**
   * Every run, page after page, newest first.
   *
   * @example
   * for await (const run of client.runs.all({ model: "tiny" })) console.log(run.id, run.status);
   */
  async *all(
    query: Omit<RunListQuery, "before"> = {},
    options: RequestOptions = {},
  ): AsyncGenerator<RunList["data"][number]> {
    let before: string | null | undefined;
    do {
      const page = await this.list({ ...query, ...(before ? { before } : {}) }, options);
      yield* page.data;
      before = page.next_before;
    } while (before);
  }

  /**
   * One run of the team's history by its id (a 404 for anyone else's).
   *
   * @example
   * const run = await client.runs.get("req_…");
   */
  async get(id: string, options: RequestOptions = {}): Promise<Run> {
    return callOperation(this.#transport, "getRun", { id }, options);
  }

  /**
   * Notes, tags or a rating (1–5, `null` clears it) for one of the team's runs.
   *
   * @example
   * await client.runs.annotate(run.id, { rating: 5, tags: ["keeper"] });
   */
  async annotate(id: string, body: RunNotesBody, options: RequestOptions = {}): Promise<Run> {
    return callOperation(this.#transport, "annotateRun", { id, body }, options);
  }

  /**
   * The team's experiments with their run counts; a generation joins one by naming it in the
   * `Sdgate-Experiment` header (`experiment` in `images.generate`'s and `generateAsync`'s options).
   *
   * @example
   * const { data } = await client.runs.experiments();
   */
  async experiments(options: RequestOptions = {}): Promise<ExperimentList> {
    return callOperation(this.#transport, "listExperiments", {}, options);
  }
}
