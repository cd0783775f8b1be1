import { env } from "cloudflare:workers";
import {
  errorEnvelopeSchema,
  estimateSchema,
  rateImageSeconds,
  rateStepSeconds,
  refinerStepsRun,
  sha256Hex,
} from "@sdgate/shared";
import { describe, expect, it } from "vitest";
import { newTeam } from "../identity/directory/testing.ts";
import { type ApiKeyRecord, apiKeyRecordKey } from "../keys/api-key.ts";
import { call } from "../keys/testing.ts";
import { jobsEnv, request, seedJobKey } from "../test-support/jobs-harness.ts";

const MODELS = JSON.stringify([
  { id: "xl", architecture: "sdxl" },
  { id: "xl-refiner", architecture: "sdxl-refiner" },
  { id: "sd15" },
]);
// Nothing listens on "down": the estimate takes the rate table's figures.
const testEnv = () => jobsEnv(["down"], { SDGATE_MODELS: MODELS, SDGATE_GPU_HOUR_PRICE: "3.60" });

async function post(path: string, body: object, key?: string) {
  const used = key ?? (await seedJobKey()).key;
  return request("POST", path, used, testEnv(), { body: { prompt: "a fox", ...body } });
}

async function refusal(path: string, body: object, key?: string) {
  const response = await post(path, body, key);
  return { status: response.status, error: errorEnvelopeSchema.parse(await response.json()).error };
}

/** A key that may use only `models`. */
async function keyFor(models: string[]): Promise<string> {
  const key = `sk_test_${crypto.randomUUID().replaceAll("-", "")}`;
  const record: ApiKeyRecord = {
    id: `key_${crypto.randomUUID().slice(0, 8)}`,
    name: "refiner test",
    scopes: ["generate", "read"],
    created_at: new Date().toISOString(),
    limits: { requests_per_minute: 100_000, concurrency: 1_000, credits: 1_000_000 },
    models,
  };
  await env.API_KEYS.put(apiKeyRecordKey(await sha256Hex(key)), JSON.stringify(record));
  return key;
}

describe("a generation with an SDXL refiner", () => {
  it("is priced with the base's steps at SDXL's rate and the refiner's at the refiner's", async () => {
    const body = { model: "xl", steps: 30 };
    const estimate = async (extra: object) =>
      estimateSchema.parse(await (await post("/v1/estimate", { ...body, ...extra })).json());
    const [plain, refined] = [await estimate({}), await estimate({ refiner: { model: "xl-refiner" } })];
    // switch at 0.8 by timestep on SDXL's 30-step schedule: the refiner runs the last 7
    const refinerSteps = refinerStepsRun({
      steps: 30,
      strength: null,
      refiner: { model: "xl-refiner", switch_at: 0.8, switch_by: "timestep" },
    });
    expect(refinerSteps).toBe(7);
    const gpuSeconds =
      23 * rateStepSeconds("sdxl", 1024, 1024) +
      7 * rateStepSeconds("sdxl-refiner", 1024, 1024) +
      rateImageSeconds("sdxl", 1024, 1024);
    expect(refined.gpu_seconds).toBeCloseTo(gpuSeconds, 6);
    expect(refined.cost).toBeCloseTo((gpuSeconds / 3600) * 3.6, 8);
    // the refiner's UNet costs more FLOPs per step than the base's: more credits, by its share
    expect(refined.credits).toBeGreaterThan(plain.credits);
    expect(refined.credits).toBeLessThan(plain.credits * 1.08);
  });

  it("refuses, naming the field, a refiner on a model that is not an SDXL base, or that is no refiner", async () => {
    expect(await refusal("/v1/estimate", { model: "sd15", refiner: { model: "xl-refiner" } })).toMatchObject({
      status: 400,
      error: { param: "refiner" },
    });
    expect(await refusal("/v1/estimate", { model: "xl", refiner: { model: "sd15" } })).toMatchObject({
      status: 400,
      error: { param: "refiner.model" },
    });
    expect(
      await refusal("/v1/estimate", { model: "xl-refiner", refiner: { model: "xl-refiner" } }),
    ).toMatchObject({
      status: 400,
      error: { param: "model" },
    });
    expect(await refusal("/v1/estimate", { model: "xl", refiner: { model: "nowhere" } })).toMatchObject({
      status: 404,
      error: { code: "model_not_found", param: "refiner.model" },
    });
    expect(await refusal("/v1/estimate", { model: "xl", aesthetic_score: 7 })).toMatchObject({
      status: 400,
      error: { param: "aesthetic_score" },
    });
  });

  it("refuses a refiner the key may not use, naming refiner.model, before anything runs", async () => {
    const key = await keyFor(["xl"]);
    const body = { model: "xl", refiner: { model: "xl-refiner" } };
    expect(await refusal("/v1/images/generations", body, key)).toMatchObject({
      status: 403,
      error: { code: "model_not_allowed", param: "refiner.model" },
    });
    const both = await keyFor(["xl", "xl-refiner"]);
    expect((await post("/v1/estimate", body, both)).status).toBe(200);
  });

  it("refuses a refiner the key's team is not granted, naming refiner.model", async () => {
    const team = await newTeam();
    const admin = (path: string, body: object) =>
      call(
        path,
        { method: path.endsWith("/models") ? "PUT" : "POST", admin: true, body: JSON.stringify(body) },
        testEnv(),
      );
    expect((await admin(`/admin/teams/${team.id}/models`, { models: ["xl"] })).status).toBe(200);
    const created = await admin("/admin/keys", { name: "team key", team_id: team.id });
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    expect(
      await refusal("/v1/estimate", { model: "xl", refiner: { model: "xl-refiner" } }, key),
    ).toMatchObject({
      status: 403,
      error: { code: "model_not_granted", param: "refiner.model" },
    });
  });
});
