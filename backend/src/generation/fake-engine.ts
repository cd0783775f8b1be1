import { createHash } from "node:crypto";
import { type BackendGenerateResponse, OUTCOME_OF_ACTION } from "@sdgate/shared";
import type { BatchReport, CancelReason, Engine, EngineJob, EngineListener, ModelInfo } from "./engine.ts";
import { cancelledFailure } from "./engine-failure.ts";

/**
 * An {@link Engine} for serving tests: each step of a batch takes `stepMs` of real time (timers, so
 * the event loop stays free as it does with the worker), cancels take effect at the next step, and
 * every batch it was given is recorded. A batch with a job whose prompt is `hangOnPrompt` hangs as a
 * worker stuck in a native call would: no progress, deaf to cancels, until the engine is closed.
 */
export class FakeEngine implements Engine {
  readonly models: ModelInfo[] = [
    {
      id: "tiny",
      executionProvider: "cpu",
      family: "sd15",
      architecture: "sd1",
      loadSeconds: 0.1,
      maxPromptChunks: 8,
      embedsGuidance: false,
    },
  ];
  readonly batches: string[][] = [];
  /** Each job's decoded input images, by job id, as the engine received them. */
  readonly inputs = new Map<string, EngineJob["inputs"]>();
  stepMs: number;
  /** When set, jobs whose prompt is this fail as the engine's unexpected crash would. */
  crashOnPrompt: string | null = null;
  /** When set, the safety check (when a job asks for it) flags every image of jobs whose prompt is this. */
  unsafePrompt: string | null = null;
  /** When set, a batch with a job whose prompt is this never ends until {@link close}. */
  hangOnPrompt: string | null = null;
  /** How many times the engine was closed. */
  closes = 0;
  readonly #cancelled = new Map<string, CancelReason>();
  readonly #hung = new Set<(error: Error) => void>();

  constructor(stepMs = 5) {
    this.stepMs = stepMs;
  }

  cancel(jobId: string, reason: CancelReason): void {
    this.#cancelled.set(jobId, reason);
  }

  async close(): Promise<void> {
    this.closes++;
    for (const fail of this.#hung) fail(new Error("fake engine closed"));
    this.#hung.clear();
  }

  async run(jobs: readonly EngineJob[], listener: EngineListener): Promise<BatchReport> {
    this.batches.push(jobs.map((job) => job.id));
    for (const job of jobs) this.inputs.set(job.id, job.inputs);
    const first = jobs[0] as EngineJob;
    if (jobs.some((job) => job.request.prompt === this.crashOnPrompt)) throw new Error("fake engine crash");
    if (jobs.some((job) => job.request.prompt === this.hangOnPrompt)) {
      await new Promise<never>((_, reject) => this.#hung.add(reject));
    }
    const { steps } = first.request;
    let active = [...jobs];
    const startedMs = performance.now();
    for (let step = 1; step <= steps && active.length > 0; step++) {
      await new Promise((resolve) => setTimeout(resolve, this.stepMs));
      active = active.filter((job) => {
        const reason = this.#cancelled.get(job.id);
        if (reason === undefined) return true;
        listener.onDone(job.id, { ok: false, error: cancelledFailure(reason) });
        return false;
      });
      for (const job of active) {
        listener.onProgress(job.id, {
          step,
          steps,
          image: 0,
          images: job.request.n,
          etaMs: (steps - step) * this.stepMs,
          ...(job.previewEverySteps > 0 && step % job.previewEverySteps === 0
            ? { preview: { format: "jpeg" as const, width: 8, height: 8, b64: "/9j/" } }
            : {}),
        });
      }
    }
    for (const job of active)
      listener.onDone(job.id, {
        ok: true,
        response: fakeResponse(job, job.request.prompt === this.unsafePrompt),
      });
    return {
      model: first.request.model,
      width: first.request.width,
      height: first.request.height,
      images: jobs.reduce((sum, job) => sum + job.request.n, 0),
      steps,
      denoiseMs: performance.now() - startedMs,
    };
  }
}

const FAKE_IMAGE_B64 = "iVBORw0KGgo=";

function fakeResponse(job: EngineJob, unsafe: boolean): BackendGenerateResponse {
  const { request } = job;
  const action = request.safety_check;
  const safety =
    action === undefined
      ? undefined
      : {
          outcome: unsafe ? OUTCOME_OF_ACTION[action] : ("passed" as const),
          concepts: unsafe ? [0] : [],
          special_care: false,
          image_sha256: createHash("sha256").update(Buffer.from(FAKE_IMAGE_B64, "base64")).digest("hex"),
        };
  return {
    model: request.model,
    execution_provider: "cpu",
    output_format: request.output_format,
    images: Array.from({ length: request.n }, (_, i) => ({
      seed: request.seed + i,
      width: request.width,
      height: request.height,
      b64: FAKE_IMAGE_B64,
      ...(safety === undefined ? {} : { safety }),
    })),
    timings_ms: {
      tokenize: 0.1,
      text_encode: 1,
      denoise: 2,
      decode: 3,
      image_encode: 4,
      ...(safety === undefined ? {} : { safety_check: 0.5 }),
      total: 10,
    },
  };
}
