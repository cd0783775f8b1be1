// Per-key state of the A1111 routes, kept in the key's `KeyState` Durable Object: A1111's progress,
// interrupt, skip and options are per server; sdgate's are per API key, and the key's object is the one
// place that is per key, strongly consistent (an interrupt and the next iteration's start cannot
// interleave: SQLite-backed storage is synchronous) and already on every request's path. D1 would add a
// round trip and a migration for two small values that only this key reads.

/** One A1111 generation of the key: `iterations` jobs, one after another. */
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

/**
 * A task older than this is one whose route was cut off before it could clear it (an isolate that
 * died mid-request): it is dropped. Longer than any task may run (`JOB_DEADLINE_MS` per iteration).
 */
export const STALE_TASK_MS = 24 * 3_600_000;

/**
 * The `sdapi` table of a key's object: its tasks (`task:<id>`; a key may run several A1111 requests at
 * once, as it may run several generations) and its options, one JSON row each.
 */
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

  #tasks(): SdapiTask[] {
    return this.#sql
      .exec<{ json: string }>("SELECT json FROM sdapi WHERE name LIKE 'task:%'")
      .toArray()
      .map((row) => JSON.parse(row.json) as SdapiTask);
  }

  /** The key's latest running task (what A1111's `/progress` reports), or `null`. */
  task(nowMs: number = Date.now()): SdapiTask | null {
    const live = this.#tasks().filter((task) => nowMs - task.startedMs < STALE_TASK_MS);
    return live.reduce<SdapiTask | null>(
      (latest, task) => (latest === null || task.startedMs > latest.startedMs ? task : latest),
      null,
    );
  }

  /** Moves `task` on to its `iteration` (or starts it); `false` when it was interrupted, so the iteration must not run. */
  advance(task: SdapiTask, nowMs: number = Date.now()): boolean {
    for (const old of this.#tasks())
      if (nowMs - old.startedMs >= STALE_TASK_MS) this.#write(`task:${old.id}`, null);
    const current = this.#read<SdapiTask>(`task:${task.id}`);
    if (current?.interrupted) return false;
    this.#write(`task:${task.id}`, {
      ...task,
      jobId: null,
      interrupted: false,
      skippedIteration: current?.skippedIteration ?? null,
    });
    return true;
  }

  /** Records the job running `taskId`'s `iteration`; `false` when an interrupt or skip came first. */
  running(taskId: string, iteration: number, jobId: string): boolean {
    const current = this.#read<SdapiTask>(`task:${taskId}`);
    if (current === null) return false;
    this.#write(`task:${taskId}`, { ...current, jobId });
    return !current.interrupted && current.skippedIteration !== iteration;
  }

  /** Marks every running task of the key interrupted (or its current iteration skipped); the tasks as they were. */
  stop(kind: "interrupt" | "skip"): SdapiTask[] {
    const tasks = this.#tasks();
    for (const task of tasks)
      this.#write(
        `task:${task.id}`,
        kind === "interrupt" ? { ...task, interrupted: true } : { ...task, skippedIteration: task.iteration },
      );
    return tasks;
  }

  end(taskId: string): void {
    this.#write(`task:${taskId}`, null);
  }

  options(): SdapiOptions {
    return this.#read<SdapiOptions>("options") ?? { sd_model_checkpoint: null };
  }

  setOptions(options: SdapiOptions): void {
    this.#write("options", options);
  }
}
