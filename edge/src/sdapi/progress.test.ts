import { describe, expect, it } from "vitest";
import type { Env } from "../env.ts";
import { jobsEnv, request, seedJobKey, streamCalls, uniqueJobPrompt } from "../test-support/jobs-harness.ts";

interface Progress {
  progress: number;
  eta_relative: number;
  state: {
    job_count: number;
    job_no: number;
    sampling_step: number;
    sampling_steps: number;
    interrupted: boolean;
  };
  current_image: string | null;
}

const progressOf = async (key: string, testEnv: Env) =>
  (await (await request("GET", "/sdapi/v1/progress", key, testEnv)).json()) as Progress;

/** Polls `/progress` until `ready` holds (the streaming fake takes 20 ms a step). */
async function progressWhen(key: string, testEnv: Env, ready: (p: Progress) => boolean): Promise<Progress> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const seen = await progressOf(key, testEnv);
    if (ready(seen) || Date.now() > deadline) return seen;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const run = (key: string, testEnv: Env, body: object) =>
  request("POST", "/sdapi/v1/txt2img", key, testEnv, { body }).then(async (res) => ({
    status: res.status,
    ...((await res.json()) as { images: string[]; info: string }),
  }));

describe("A1111's progress, interrupt and skip, per key", () => {
  it("report the key's running task: its iteration, step, share done and latest preview; idle after", async () => {
    const { key } = await seedJobKey();
    const other = await seedJobKey();
    const testEnv = jobsEnv();
    expect(await progressOf(key, testEnv)).toMatchObject({
      progress: 0,
      state: { job_count: 0 },
      current_image: null,
    });
    const done = run(key, testEnv, { prompt: uniqueJobPrompt(), seed: 3, steps: 30, n_iter: 2 });
    const midway = await progressWhen(key, testEnv, (p) => p.state.sampling_step >= 12);
    expect(midway.state).toMatchObject({ job_count: 2, job_no: 0, sampling_steps: 30 });
    expect(midway.progress).toBeGreaterThan(0);
    expect(midway.progress).toBeLessThan(0.5);
    // The fake sends a preview every 10th step when asked (PREVIEW_EVERY_STEPS).
    expect(midway.current_image).toBe("AAAA");
    // Another key sees nothing of it.
    expect((await progressOf(other.key, testEnv)).state.job_count).toBe(0);
    const second = await progressWhen(key, testEnv, (p) => p.state.job_no === 1);
    expect(second.progress).toBeGreaterThanOrEqual(0.5);
    expect((await done).images).toHaveLength(2);
    expect(await progressOf(key, testEnv)).toMatchObject({ progress: 0, state: { job_count: 0 } });
  });

  it("skip ends the current iteration only: the next one runs with its own seed", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const done = run(key, testEnv, { prompt: uniqueJobPrompt(), seed: 40, steps: 40, n_iter: 2 });
    await progressWhen(key, testEnv, (p) => p.state.job_no === 0 && p.state.sampling_step >= 2);
    expect(await (await request("POST", "/sdapi/v1/skip", key, testEnv)).json()).toEqual({});
    const answer = await done;
    expect(answer.status).toBe(200);
    expect(answer.images).toHaveLength(1);
    expect(JSON.parse(answer.info)).toMatchObject({ all_seeds: [41] });
  });

  it("interrupt ends the task: no more iterations, and another key cannot interrupt it", async () => {
    const { key } = await seedJobKey();
    const other = await seedJobKey();
    const testEnv = jobsEnv();
    const done = run(key, testEnv, { prompt: uniqueJobPrompt(), seed: 50, steps: 40, n_iter: 3 });
    await progressWhen(key, testEnv, (p) => p.state.job_no === 0 && p.state.sampling_step >= 2);
    await request("POST", "/sdapi/v1/interrupt", other.key, testEnv);
    const still = await progressWhen(key, testEnv, (p) => p.state.sampling_step >= 6);
    expect(still.state.interrupted).toBe(false);
    expect((await request("POST", "/sdapi/v1/interrupt", key, testEnv)).status).toBe(200);
    const answer = await done;
    expect(answer.status).toBe(200);
    expect(answer.images).toEqual([]);
    expect(await progressOf(key, testEnv)).toMatchObject({ state: { job_count: 0 } });
  });

  it("let a key run two requests at once: neither stops the other, /progress shows the later, /interrupt stops both", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const first = run(key, testEnv, { prompt: uniqueJobPrompt(), seed: 60, steps: 3, n_iter: 3 });
    await progressWhen(key, testEnv, (p) => p.state.job_count === 3);
    const second = run(key, testEnv, { prompt: uniqueJobPrompt(), seed: 70, steps: 3, n_iter: 2 });
    expect((await first).images).toHaveLength(3);
    expect((await second).images).toHaveLength(2);

    const prompts = [uniqueJobPrompt(), uniqueJobPrompt()];
    const longA = run(key, testEnv, { prompt: prompts[0], seed: 80, steps: 40, n_iter: 2 });
    const longB = run(key, testEnv, { prompt: prompts[1], seed: 90, steps: 40, n_iter: 2 });
    // Both are on the backend before the interrupt.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const calls = await Promise.all(prompts.map((prompt) => streamCalls("stream", prompt ?? "")));
      if (calls.every((list) => list.length > 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await request("POST", "/sdapi/v1/interrupt", key, testEnv);
    const [a, b] = await Promise.all([longA, longB]);
    expect(a.images.length + b.images.length).toBe(0);
  });
});
