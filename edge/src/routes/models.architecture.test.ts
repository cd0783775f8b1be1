import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { estimateSchema, fleetSchema, type Model, modelListSchema } from "@sdgate/shared";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Env } from "../env.ts";
import app from "../index.ts";
import { mostReported } from "../model-registry/model-architecture.ts";
import { jobsEnv, request, seedJobKey } from "../test-support/jobs-harness.ts";

// `fake-xl` and `fake-xl-refiner` are what the plain fakes report as SDXL and its refiner
// (FAKE_ARCHITECTURES); `unreported` is a model no backend says anything of.
const UNDECLARED = JSON.stringify([{ id: "fake-xl" }, { id: "fake-xl-refiner" }, { id: "unreported" }]);

beforeAll(() => {
  vi.spyOn(console, "warn").mockImplementation(() => {});
});

async function listed(testEnv: Env, key: string): Promise<Record<string, Model>> {
  const response = await request("GET", "/v1/models", key, testEnv);
  expect(response.status).toBe(200);
  const { data } = modelListSchema.parse(await response.json());
  return Object.fromEntries(data.map((model) => [model.id, model]));
}

async function estimate(testEnv: Env, key: string, body: object) {
  const response = await request("POST", "/v1/estimate", key, testEnv, {
    body: { prompt: "a fox", ...body },
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

describe("a model whose catalog entry names no architecture", () => {
  it("is sized, listed and priced as the SDXL its backend reports, and takes SDXL's size conditioning", async () => {
    const testEnv = jobsEnv(["healthy"], { SDGATE_MODELS: UNDECLARED });
    const { key } = await seedJobKey();
    const xl = (await listed(testEnv, key))["fake-xl"];
    expect(xl).toMatchObject({ architecture: "sdxl", defaults: { width: 1024, height: 1024 } });
    expect(xl?.resolution_buckets).toContainEqual({ width: 1216, height: 832 });
    const quoted = await estimate(testEnv, key, {
      model: "fake-xl",
      original_size: { width: 2048, height: 2048 },
    });
    expect(quoted.status).toBe(200);
    expect(estimateSchema.parse(quoted.body)).toMatchObject({
      size: "1024x1024",
      rate: { architecture: "sdxl" },
    });
  });

  it("serves as an SDXL refiner when its backend reports one", async () => {
    const testEnv = jobsEnv(["healthy"], { SDGATE_MODELS: UNDECLARED });
    const { key } = await seedJobKey();
    const plain = estimateSchema.parse((await estimate(testEnv, key, { model: "fake-xl" })).body);
    const refined = await estimate(testEnv, key, { model: "fake-xl", refiner: { model: "fake-xl-refiner" } });
    expect(refined.status).toBe(200);
    // the refiner's steps are priced at its own (higher) rate
    expect(estimateSchema.parse(refined.body).credits).toBeGreaterThan(plain.credits);
  });

  it("stays SD 1.5 when no backend reports it, refused as a refiner naming refiner.model", async () => {
    const testEnv = jobsEnv(["healthy"], { SDGATE_MODELS: UNDECLARED });
    const { key } = await seedJobKey();
    expect((await listed(testEnv, key)).unreported).toMatchObject({
      architecture: "sd1",
      resolution_buckets: [{ width: 512, height: 512 }],
      defaults: { width: 512, height: 512 },
    });
    // an SD 1.5 model is no refiner for an SDXL base
    const refused = await estimate(testEnv, key, { model: "fake-xl", refiner: { model: "unreported" } });
    expect(refused).toMatchObject({ status: 400, body: { error: { param: "refiner.model" } } });
  });
});

describe("a declared architecture that backends contradict", () => {
  it("is used, and GET /admin/backends shows the mismatch and what each backend reports", async () => {
    const testEnv = jobsEnv(["healthy"], {
      SDGATE_MODELS: JSON.stringify([{ id: "fake-xl", architecture: "sd1" }]),
    });
    const { key } = await seedJobKey();
    expect((await listed(testEnv, key))["fake-xl"]).toMatchObject({
      architecture: "sd1",
      defaults: { width: 512, height: 512 },
    });
    const backends = async () => {
      const headers = { authorization: `Bearer ${env.SDGATE_ADMIN_TOKEN ?? ""}` };
      return fleetSchema.parse(await (await app.request("/admin/backends", { headers }, testEnv)).json());
    };
    // the first look registers the pools; their status is read by the next probe
    expect((await backends()).architecture_mismatches).toEqual([]);
    const { fleet } = await backends();
    await runDurableObjectAlarm(env.BACKEND_HEALTH.getByName(fleet));
    const view = await backends();
    expect(view.architecture_mismatches).toEqual([
      { model: "fake-xl", declared: "sd1", reported: { "fake-healthy": "sdxl" } },
    ]);
    expect(view.backends[0]?.architectures).toMatchObject({
      "fake-xl": "sdxl",
      "fake-xl-refiner": "sdxl-refiner",
    });
  });
});

describe("backends that disagree on a model", () => {
  it("are outvoted: the architecture most of them report is taken", () => {
    expect(mostReported({ a: "sd1", b: "sdxl", c: "sdxl" })).toBe("sdxl");
    expect(mostReported({})).toBeNull();
  });
});
