import { afterEach, describe, expect, it } from "vitest";
import { FakeEngine } from "../generation/fake-engine.ts";
import { silentLogger } from "../logger.ts";
import { ServingMetrics } from "../metrics/metrics.ts";
import { request } from "../server/test-app.ts";
import { Dispatcher } from "./dispatcher.ts";

const engines: FakeEngine[] = [];
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
});

function spec(id: string, fields: Partial<typeof request>) {
  return {
    id,
    tenant: "t",
    request: { ...request, ...fields },
    deadlineAtMs: Date.now() + 60_000,
    previewEverySteps: 0,
    inputs: {},
  };
}

/** A dispatcher of one-image batches on a fake engine that steps on timers. */
function newDispatcher() {
  const engine = new FakeEngine(1);
  engines.push(engine);
  const dispatcher = new Dispatcher({
    engine,
    queueSize: 4,
    maxBatch: 1,
    metrics: new ServingMetrics({ defaultMetrics: false }),
    logger: silentLogger,
  });
  return { engine, dispatcher };
}

describe("the dispatcher's wait estimate", () => {
  it("adds a queued img2img job's steps as the engine runs them, not its whole schedule", async () => {
    const { engine, dispatcher } = newDispatcher();
    engine.hangOnPrompt = "hang";
    const running = dispatcher.submit(
      spec("running", { prompt: "hang", width: 512, height: 512, steps: 50 }),
    );
    expect(running.ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const startedMs = performance.now();
    const before = dispatcher.snapshot();
    expect(before).toMatchObject({ inFlight: 1, queueDepth: 0 });
    const img2img = spec("img2img", {
      width: 512,
      height: 512,
      steps: 10,
      n: 2,
      image: "iVBORw0KGgo=",
      strength: 0.5,
    });
    expect(dispatcher.submit(img2img).ok).toBe(true);
    const added = dispatcher.snapshot().estimatedWaitMs - before.estimatedWaitMs;
    // the running job's remaining time shrank by at most the time between the two snapshots
    const elapsedMs = performance.now() - startedMs;
    // 5 of 10 steps × 2 images at the default guess for 512² (400 ms a megapixel-step): about 1,049 ms
    const expectedMs = dispatcher.stepTimes.requestMs(img2img.request);
    expect(expectedMs).toBeCloseTo(2 * 5 * 0.4 * 512 * 512 * 1e-3, 6);
    expect(added).toBeLessThanOrEqual(expectedMs + 1);
    expect(added).toBeGreaterThanOrEqual(expectedMs - elapsedMs - 1);
  });
});

describe("the dispatcher's step times", () => {
  it("measures a plain job's steps, and not a refiner's, whose steps ran on two models' UNets", async () => {
    const { dispatcher } = newDispatcher();
    const run = async (id: string, fields: Partial<typeof request>) => {
      const submitted = dispatcher.submit(spec(id, { width: 64, height: 64, steps: 2, ...fields }));
      if (!submitted.ok) throw submitted.error;
      await submitted.job.ended;
      // the report is recorded as the batch settles, just after the job's end
      await new Promise((resolve) => setTimeout(resolve, 5));
    };
    await run("refined", { refiner: { model: "tiny-refiner", switch_at: 0.5, switch_by: "steps" } });
    expect(dispatcher.stepTimes.measured(request.model, 64, 64)).toBeUndefined();
    await run("plain", {});
    expect(dispatcher.stepTimes.measured(request.model, 64, 64)).toBeGreaterThan(0);
  });
});
