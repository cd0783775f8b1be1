import { afterEach, describe, expect, it, vi } from "vitest";
import type { Engine } from "../generation/engine.ts";
import { FakeEngine } from "../generation/fake-engine.ts";
import { silentLogger } from "../logger.ts";
import { ServingMetrics } from "../metrics/metrics.ts";
import { request } from "../server/test-app.ts";
import { Dispatcher } from "./dispatcher.ts";
import { BatchWatchdog, type HangCause } from "./engine-watchdog.ts";

const SETTINGS = { graceMs: 1_000, stallFactor: 10, closeTimeoutMs: 500 };
const NOW_MS = 1_800_000_000_000;

afterEach(() => {
  vi.useRealTimers();
});

function watch(budget: { latestDeadlineAtMs: number; stepMs: number; measured: boolean }) {
  const fired: HangCause[] = [];
  const watchdog = new BatchWatchdog(budget, SETTINGS, (cause) => fired.push(cause), NOW_MS);
  return { watchdog, fired };
}

describe("the batch watchdog", () => {
  it("with measured step times, fires after stallFactor steps plus the grace without progress", () => {
    vi.useFakeTimers();
    const { watchdog, fired } = watch({ latestDeadlineAtMs: NOW_MS + 600_000, stepMs: 100, measured: true });
    expect(watchdog.stallMs).toBe(2_000);
    // progress keeps a slow but live batch going for far longer than one budget
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(1_900);
      watchdog.alive();
    }
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(2_000);
    expect(fired).toEqual(["stalled"]);
    watchdog.alive();
    vi.advanceTimersByTime(10_000);
    expect(fired).toEqual(["stalled"]);
  });

  it("without measured step times, waits for the latest deadline plus the grace, however silent", () => {
    vi.useFakeTimers();
    const { watchdog, fired } = watch({ latestDeadlineAtMs: NOW_MS + 30_000, stepMs: 400, measured: false });
    expect(watchdog.stallMs).toBeNull();
    // the grace grows to stallFactor steps when a step is that long: a step past a cancel must fit
    vi.advanceTimersByTime(30_000 + 3_999);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(fired).toEqual(["deadline"]);
  });

  it("stays quiet once stopped", () => {
    vi.useFakeTimers();
    const { watchdog, fired } = watch({ latestDeadlineAtMs: NOW_MS, stepMs: 1, measured: true });
    watchdog.stop();
    vi.advanceTimersByTime(60_000);
    expect(fired).toEqual([]);
  });
});

describe("replacing a hung engine", () => {
  it("gives up on the process when the hung engine will not stop", async () => {
    const stuck: Engine = {
      models: [
        {
          id: "tiny",
          executionProvider: "cpu",
          family: "sd15",
          architecture: "sd1",
          loadSeconds: 0,
          maxPromptChunks: 8,
          embedsGuidance: false,
        },
      ],
      run: () => new Promise(() => undefined),
      cancel: () => undefined,
      // a worker inside a native call that never returns cannot stop
      close: () => new Promise(() => undefined),
    };
    const fatal: Error[] = [];
    let restarted = false;
    const dispatcher = new Dispatcher({
      engine: stuck,
      queueSize: 4,
      maxBatch: 1,
      metrics: new ServingMetrics({ defaultMetrics: false }),
      logger: silentLogger,
      restartEngine: async () => {
        restarted = true;
        return stuck;
      },
      onFatal: (error) => fatal.push(error),
      watchdog: { graceMs: 10, stallFactor: 2, closeTimeoutMs: 50 },
    });
    const submitted = dispatcher.submit({
      id: "stuck",
      tenant: "t",
      request,
      deadlineAtMs: Date.now() + 20,
      previewEverySteps: 0,
      inputs: {},
    });
    if (!submitted.ok) throw submitted.error;
    expect(await submitted.job.ended).toMatchObject({ type: "error", error: { code: "timeout" } });
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]?.message).toMatch(/did not stop in 50 ms/);
    expect(restarted).toBe(false);
  });

  it("reports the process unable to serve when the engine cannot be replaced, and keeps refusing work", async () => {
    const engine = new FakeEngine(1);
    engine.hangOnPrompt = "hang";
    const metrics = new ServingMetrics({ defaultMetrics: false });
    const fatal: Error[] = [];
    const dispatcher = new Dispatcher({
      engine,
      queueSize: 4,
      maxBatch: 1,
      metrics,
      logger: silentLogger,
      restartEngine: () => Promise.reject(new Error("the models would not load")),
      onFatal: (error) => fatal.push(error),
      watchdog: { graceMs: 20, stallFactor: 2 },
    });
    const submitted = dispatcher.submit({
      id: "stuck",
      tenant: "t",
      request: { ...request, prompt: "hang" },
      deadlineAtMs: Date.now() + 30,
      previewEverySteps: 0,
      inputs: {},
    });
    if (!submitted.ok) throw submitted.error;
    const end = await submitted.job.ended;
    expect(end).toMatchObject({ type: "error", error: { code: "timeout" } });
    await vi.waitFor(() => expect(fatal).toHaveLength(1));
    expect(fatal[0]?.message).toMatch(/would not load/);
    expect(dispatcher.engineReady).toBe(false);
    expect(dispatcher.refusal()).toMatchObject({ code: "backend_unavailable", status: 503 });
  });
});
