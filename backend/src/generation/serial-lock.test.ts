import { describe, expect, it } from "vitest";
import { SerialLock } from "./serial-lock.ts";

describe("SerialLock", () => {
  it("runs tasks one at a time in arrival order, even when one fails", async () => {
    const lock = new SerialLock();
    const events: string[] = [];
    const task =
      (name: string, fail = false) =>
      async () => {
        events.push(`start ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      lock.run(task("a")),
      lock.run(task("b", true)),
      lock.run(task("c")),
    ]);
    expect(events).toEqual(["start a", "end a", "start b", "end b", "start c", "end c"]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(lock.waiting).toBe(0);
  });
});
