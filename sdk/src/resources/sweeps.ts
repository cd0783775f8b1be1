import {
  type Sweep,
  type SweepBody,
  type SweepEstimate,
  type SweepList,
  sweepEstimateSchema,
  sweepSchema,
} from "@sdgate/shared";
import { callOf, callOperation } from "../http/operation.ts";
import type { RequestOptions, Transport } from "../http/transport.ts";

/**
 * Sweeps (`/v1/sweeps`): X/Y/Z grids of generations, priced as a whole before they run and run as
 * async jobs; any key of the team sees and drives the team's sweeps.
 *
 * @example
 * const sweep = await client.sweeps.create({
 *   request: { prompt: "a lighthouse", size: "512x512" },
 *   axes: [{ field: "steps", values: [10, 20, 30] }, { field: "scheduler", values: ["euler", "ddim"] }],
 * });
 */
export class Sweeps {
  readonly #transport: Transport;

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /**
   * Prices, stores and runs a sweep. A grid that costs more than the team's budget has left (or than
   * `max_credits`) is refused with 402 `budget_exceeded`, naming the cost and what is left.
   *
   * @example
   * const sweep = await client.sweeps.create({ request, axes, max_credits: 500 }, { headers: { "Sdgate-Experiment": "schedulers" } });
   */
  async create(body: Omit<SweepBody, "dry_run">, options: RequestOptions = {}): Promise<Sweep> {
    return this.#post({ ...body, dry_run: false }, (json) => sweepSchema.parse(json), options);
  }

  /**
   * What the sweep would cost and whether it may run (`refusal`), without running it (`dry_run`).
   *
   * @example
   * const { price, budget_remaining, refusal } = await client.sweeps.estimate({ request, axes });
   */
  async estimate(body: Omit<SweepBody, "dry_run">, options: RequestOptions = {}): Promise<SweepEstimate> {
    return this.#post({ ...body, dry_run: true }, (json) => sweepEstimateSchema.parse(json), options);
  }

  /** `POST /v1/sweeps`, whose answer is a sweep or, for a dry run, its estimate. */
  async #post<T>(body: SweepBody, parse: (json: unknown) => T, options: RequestOptions): Promise<T> {
    return (await this.#transport.json(callOf("createSweep", { body }), parse, options)).data;
  }

  /**
   * One of the team's sweeps with its cells (status, job, run, images).
   *
   * @example
   * const { totals } = await client.sweeps.get(sweep.id);
   */
  async get(id: string, options: RequestOptions = {}): Promise<Sweep> {
    return callOperation(this.#transport, "getSweep", { id }, options);
  }

  /**
   * The team's sweeps, newest first, with their totals.
   *
   * @example
   * const { data } = await client.sweeps.list();
   */
  async list(options: RequestOptions = {}): Promise<SweepList> {
    return callOperation(this.#transport, "listSweeps", {}, options);
  }

  /**
   * Submits again the cells that failed, were cancelled or never started; finished cells never rerun.
   *
   * @example
   * await client.sweeps.resume(sweep.id);
   */
  async resume(id: string, options: RequestOptions = {}): Promise<Sweep> {
    return callOperation(this.#transport, "resumeSweep", { id }, options);
  }

  /**
   * Cancels the sweep's running jobs (refunding them) and its pending cells.
   *
   * @example
   * await client.sweeps.cancel(sweep.id);
   */
  async cancel(id: string, options: RequestOptions = {}): Promise<Sweep> {
    return callOperation(this.#transport, "cancelSweep", { id }, options);
  }
}
