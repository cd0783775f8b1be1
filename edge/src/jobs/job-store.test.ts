import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { GenerationJob } from "./generation-job.ts";
import { JobStore, KEPT_PROGRESS_EVENTS } from "./job-store.ts";

/** A store on a fresh job Durable Object's own SQLite. */
function withStore<T>(name: string, use: (store: JobStore) => T): Promise<T> {
  return runInDurableObject(env.GENERATION_JOB.getByName(name), (_: GenerationJob, state) =>
    use(new JobStore(state.storage.sql)),
  );
}

describe("a job's event log", () => {
  it("keeps only the latest progress events, and every other event, with ids still counting up", async () => {
    const kept = await withStore("job-store-cap", (store) => {
      store.append("queued", '{"position":0}');
      store.append("started", "{}");
      for (let step = 1; step <= 200; step++) store.append("progress", `{"step":${step}}`);
      store.append("result", "{}");
      return store.eventsAfter(0);
    });
    const progress = kept.filter((event) => event.name === "progress");
    expect(progress).toHaveLength(KEPT_PROGRESS_EVENTS);
    expect(progress.at(-1)?.data).toBe('{"step":200}');
    expect(progress[0]?.data).toBe(`{"step":${200 - KEPT_PROGRESS_EVENTS + 1}}`);
    expect(kept.map((event) => event.name).filter((name) => name !== "progress")).toEqual([
      "queued",
      "started",
      "result",
    ]);
    expect(kept.at(-1)?.id).toBe(203);
    expect(kept.map((event) => event.id)).toEqual([...kept.map((event) => event.id)].sort((a, b) => a - b));
  });

  it("resumes after an id whose event was dropped with the events that followed it", async () => {
    const after = await withStore("job-store-resume", (store) => {
      for (let step = 1; step <= 100; step++) store.append("progress", `{"step":${step}}`);
      return store.eventsAfter(10);
    });
    expect(after).toHaveLength(KEPT_PROGRESS_EVENTS);
    expect(after[0]?.id).toBe(100 - KEPT_PROGRESS_EVENTS + 1);
  });
});
