import { describe, expect, it } from "vitest";
import { FairQueue, type Queued } from "./fair-queue.ts";

interface TestJob extends Queued {
  id: string;
}
const job = (id: string, tenant: string, batchKey: string | null = null, images = 1): TestJob => ({
  id,
  tenant,
  batchKey,
  images,
});
const ids = (jobs: TestJob[]) => jobs.map((j) => j.id);

describe("FairQueue", () => {
  it("refuses a job past its capacity", () => {
    const queue = new FairQueue<TestJob>(2);
    expect(queue.push(job("a1", "a"))).toBe(true);
    expect(queue.push(job("a2", "a"))).toBe(true);
    expect(queue.push(job("b1", "b"))).toBe(false);
    expect(queue.size).toBe(2);
  });

  it("serves tenants in turn, so a key with many jobs does not starve the others", () => {
    const queue = new FairQueue<TestJob>(20);
    for (let i = 1; i <= 5; i++) queue.push(job(`a${i}`, "a"));
    queue.push(job("b1", "b"));
    queue.push(job("c1", "c"));
    queue.push(job("b2", "b"));
    expect(ids(queue.serviceOrder())).toEqual(["a1", "b1", "c1", "a2", "b2", "a3", "a4", "a5"]);
    const served: string[] = [];
    for (let batch = queue.takeBatch(1); batch.length > 0; batch = queue.takeBatch(1))
      served.push(...ids(batch));
    expect(served).toEqual(["a1", "b1", "c1", "a2", "b2", "a3", "a4", "a5"]);
  });

  it("fills a batch with compatible jobs from every tenant, up to the image limit", () => {
    const queue = new FairQueue<TestJob>(20);
    queue.push(job("a1", "a", "k"));
    queue.push(job("a2", "a", "other"));
    queue.push(job("a3", "a", "k"));
    queue.push(job("b1", "b", "k", 2));
    queue.push(job("c1", "c", null));
    queue.push(job("c2", "c", "k"));
    expect(ids(queue.takeBatch(4))).toEqual(["a1", "b1", "c2"]);
    // b's turn is next; a2 and a3 wait their turn, the job that shares nothing runs alone.
    expect(ids(queue.takeBatch(4))).toEqual(["c1"]);
    expect(ids(queue.takeBatch(4))).toEqual(["a2"]);
    expect(ids(queue.takeBatch(4))).toEqual(["a3"]);
    expect(queue.takeBatch(4)).toEqual([]);
  });

  it("runs a job bigger than the batch limit alone, and removes a cancelled one", () => {
    const queue = new FairQueue<TestJob>(20);
    const cancelled = job("a1", "a", "k");
    queue.push(cancelled);
    queue.push(job("b1", "b", "k", 8));
    queue.push(job("c1", "c", "k"));
    expect(queue.remove(cancelled)).toBe(true);
    expect(queue.remove(cancelled)).toBe(false);
    expect(ids(queue.takeBatch(4))).toEqual(["b1"]);
    expect(ids(queue.takeBatch(4))).toEqual(["c1"]);
    expect(queue.size).toBe(0);
  });
});
