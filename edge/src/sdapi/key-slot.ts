// Per-key state of the A1111 routes, kept in the key's `KeyState` Durable Object: A1111's progress,
// interrupt, skip and options are per server; sdgate's are per API key, and the key's object is the one
// place that is per key, strongly consistent (an interrupt and the next iteration's start cannot
// interleave: SQLite-backed storage is synchronous) and already on every request's path. D1 would add a
// round trip and a migration for two small values that only this key reads.

/** The key's current A1111 generation: `iterations` jobs, one after another. */
export interface SdapiTask {
  id: string;
  /** When it started (A1111's `job_timestamp`, from it). */
  startedMs: number;
  iteration: number;
  iterations: number;
  /** The job running the current iteration, once it is made. */
  jobId: string | null;
  steps: number;
  /** `/interrupt` ends the task; `/skip` ends only the iteration it was sent during. */
  interrupted: boolean;
  skippedIteration: number | null;
}

/** A1111's options this edge keeps per key (GET/POST `/sdapi/v1/options`). */
export interface SdapiOptions {
  sd_model_checkpoint: string | null;
}

const SCHEMA = "CREATE TABLE IF NOT EXISTS sdapi (name TEXT PRIMARY KEY, json TEXT NOT NULL)";

/** The `sdapi` table of a key's object: its current task and its options, one JSON row each. */
export class SdapiSlot {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(SCHEMA);
  }

  #read<T>(name: string): T | null {
    const row = this.#sql.exec<{ json: string }>("SELECT json FROM sdapi WHERE name = ?", name).toArray()[0];
    return row ? (JSON.parse(row.json) as T) : null;
  }

  #write(name: string, value: unknown): void {
    if (value === null) this.#sql.exec("DELETE FROM sdapi WHERE name = ?", name);
    else
      this.#sql.exec("INSERT OR REPLACE INTO sdapi (name, json) VALUES (?, ?)", name, JSON.stringify(value));
  }

  task(): SdapiTask | null {
    return this.#read<SdapiTask>("task");
  }

  /**
   * Moves `task` on to `iteration` (or starts it); `false` when it was interrupted (or replaced by a
   * newer task of the same key), so the iteration must not run.
   */
  advance(task: SdapiTask): boolean {
    const current = this.task();
    if (current !== null && current.id === task.id && current.interrupted) return false;
    if (current !== null && current.id !== task.id && current.startedMs > task.startedMs) return false;
    this.#write("task", { ...task, interrupted: false, skippedIteration: current?.skippedIteration ?? null });
    return true;
  }

  /** Records the job running `task`'s current iteration; `false` when an interrupt or skip came first. */
  running(taskId: string, iteration: number, jobId: string): boolean {
    const current = this.task();
    if (current === null || current.id !== taskId) return false;
    this.#write("task", { ...current, jobId });
    return !current.interrupted && current.skippedIteration !== iteration;
  }

  /** Marks the current task interrupted (or its current iteration skipped); the task as it was. */
  stop(kind: "interrupt" | "skip"): SdapiTask | null {
    const current = this.task();
    if (current === null) return null;
    this.#write(
      "task",
      kind === "interrupt"
        ? { ...current, interrupted: true }
        : { ...current, skippedIteration: current.iteration },
    );
    return current;
  }

  /** Ends `taskId` (a newer task of the key is left alone). */
  end(taskId: string): void {
    if (this.task()?.id === taskId) this.#write("task", null);
  }

  options(): SdapiOptions {
    return this.#read<SdapiOptions>("options") ?? { sd_model_checkpoint: null };
  }

  setOptions(options: SdapiOptions): void {
    this.#write("options", options);
  }
}
