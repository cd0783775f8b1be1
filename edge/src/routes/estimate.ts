import {
  type Estimate,
  GPU_RATES,
  MAX_REQUEST_BODY_BYTES,
  type ModelArchitecture,
  outputSizeText,
  parseGenerationRequest,
  SdgateError,
} from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "../hono-env.ts";
import { estimateGeneration } from "../jobs/estimate.ts";
import { fleetTimings } from "../jobs/step-timings.ts";
import { authorize, keyAuth } from "../keys/authorize.ts";
import { modelCredits } from "../limits/index.ts";
import { resolveServed, servingModel, servingRefiner } from "../model-registry/serving.ts";
import { enforceGovernance } from "../policies/index.ts";
import { onOperation } from "./operation.ts";

async function readRequest(c: Context<AppEnv>) {
  const mediaType = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
  if (mediaType !== "application/json") {
    throw new SdgateError(
      "unsupported_media_type",
      "The request body must be JSON ('Content-Type: application/json').",
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(await c.req.text());
  } catch {
    throw new SdgateError("invalid_request", "The request body is not valid JSON.");
  }
  const parsed = parseGenerationRequest(body);
  if (!parsed.ok)
    throw new SdgateError("invalid_request", parsed.error.message, { param: parsed.error.param });
  const [served, refiner] = await Promise.all([
    servingModel(c.var.config, parsed.value.model),
    servingRefiner(c.var.config, parsed.value),
  ]);
  // The seed changes nothing about the cost.
  return {
    resolved: resolveServed(parsed.value, served, parsed.value.seed ?? 0, refiner),
    served: { ...served, refinerRef: refiner?.ref ?? null },
  };
}

/**
 * `POST /v1/estimate`: for a generation request body (the same as `POST /v1/images/generations`
 * takes), what it would cost without running it: GPU-seconds (the steps it runs, `stepCounts`, × n × step time, the step time
 * measured by the backends for the model and size, scaled from the nearest measured size, or the
 * documented fallback), the expected queue wait, the cost at `SDGATE_GPU_HOUR_PRICE`, the credits it
 * would reserve, and whether the synchronous route would turn it into a job. Needs `read`: a quote
 * spends nothing.
 */
export function registerEstimate(app: Hono<AppEnv>): void {
  onOperation(
    app,
    "estimateGeneration",
    keyAuth("estimateGeneration", { deferred: true }),
    bodyLimit({
      maxSize: MAX_REQUEST_BODY_BYTES,
      onError: () => {
        throw new SdgateError(
          "payload_too_large",
          `The request body must be at most ${MAX_REQUEST_BODY_BYTES} bytes.`,
        );
      },
    }),
    async (c) => {
      const { resolved, served } = await readRequest(c);
      // A quote for a request governance refuses would only mislead: the same refusal here.
      await enforceGovernance(c, resolved, served);
      await authorize(c, { cost: null, model: served.ref });
      const { registry, jobs } = c.var.config;
      const estimate = estimateGeneration(
        resolved,
        served.info.architecture,
        await fleetTimings(registry, Date.now(), c.var.config.keyring),
        jobs.gpuHourPrice,
      );
      const answer: Estimate = {
        object: "generation.estimate",
        model: resolved.model,
        size: outputSizeText(resolved),
        n: resolved.n,
        steps: estimate.steps,
        step_ms: round(estimate.stepMs, 3),
        timing_source: estimate.source,
        backends_reporting: estimate.backendsReporting,
        gpu_seconds: round(estimate.gpuSeconds, 6),
        expected_wait_ms: Math.round(estimate.expectedWaitMs),
        expected_total_ms: estimate.expectedTotalMs,
        gpu_hour_price: jobs.gpuHourPrice,
        cost: estimate.cost === null ? null : round(estimate.cost, 8),
        rate: rateOf(served.info.architecture),
        credits: modelCredits(resolved, served.info.architecture),
        async: estimate.expectedTotalMs > jobs.autoAsyncMs,
        auto_async_ms: jobs.autoAsyncMs,
      };
      return c.json(answer);
    },
  );
}

function rateOf(architecture: ModelArchitecture): Estimate["rate"] {
  const { gpu, estimated, source } = GPU_RATES[architecture];
  return { architecture, gpu, estimated, source };
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
