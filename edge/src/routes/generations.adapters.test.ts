import { type JobView, randomHex } from "@sdgate/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { approvedAdapter } from "../adapters/testing.ts";
import { FAKE_ADAPTERS } from "../test-support/fake-backends.ts";
import { fleetEnv, post, seedRoomyKey } from "../test-support/fleet.ts";
import { callsTo, uniquePrompt } from "../test-support/harness.ts";
import {
  jobsEnv,
  request,
  seedJobKey,
  submit,
  uniqueJobPrompt,
  waitForJob,
} from "../test-support/jobs-harness.ts";
import { freshTinyAlias, registryEdge } from "./admin-models/testing.ts";
import { expectJson } from "./admin-people/testing.ts";

const [FAKE_LORA, FAKE_CONTROLNET] = FAKE_ADAPTERS;
const CONTROL_IMAGE = "iVBORw0KGgo=";

let key: string;
let ink: string;
let canny: string;
beforeAll(async () => {
  ({ key } = await seedRoomyKey());
  ink = (await approvedAdapter("lora", ["tiny"], { digest: FAKE_LORA.digest })).name;
  canny = (await approvedAdapter("controlnet", ["tiny"], { digest: FAKE_CONTROLNET.digest })).name;
});

const env = () => fleetEnv(["healthy"]);
const generation = (overrides: Record<string, unknown>) => ({
  model: "tiny",
  prompt: uniquePrompt(),
  seed: 7,
  steps: 2,
  size: "64x64",
  ...overrides,
});

describe("a generation naming registered LoRAs and ControlNet models", () => {
  it("sends the backend each adapter with its digest, and caches per LoRA weight", async () => {
    const prompt = uniquePrompt();
    const at = (weight: number) => generation({ prompt, lora: [{ name: ink, weight }] });
    const first = await post(at(0.5), key, env());
    expect(first.status).toBe(200);
    expect(first.headers.get("X-Cache")).toBe("MISS");
    const again = await post(at(0.5), key, env());
    expect(again.headers.get("X-Cache")).toBe("HIT");
    const heavier = await post(at(0.8), key, env());
    expect(heavier.status).toBe(200);
    expect(heavier.headers.get("X-Cache")).toBe("MISS");
    const calls = await callsTo("healthy", prompt);
    expect(calls.map((call) => (call.body as { lora?: unknown }).lora)).toEqual([
      [{ name: ink, digest: FAKE_LORA.digest, weight: 0.5 }],
      [{ name: ink, digest: FAKE_LORA.digest, weight: 0.8 }],
    ]);
  });

  it("resolves <lora:name:weight> in the prompt and ControlNet units with A1111's defaults", async () => {
    const prompt = `${uniquePrompt()} <lora:${ink}:0.3>`;
    const body = generation({ prompt, controlnet: [{ model: canny, image: CONTROL_IMAGE }] });
    expect((await post(body, key, env())).status).toBe(200);
    const [call] = await callsTo("healthy", prompt);
    expect(call?.body).toMatchObject({
      lora: [{ name: ink, digest: FAKE_LORA.digest, weight: 0.3 }],
      controlnet: [
        {
          model: canny,
          digest: FAKE_CONTROLNET.digest,
          weight: 1,
          guidance_start: 0,
          guidance_end: 1,
          control_mode: "balanced",
          preprocessor: "none",
          resize_mode: "crop_and_resize",
        },
      ],
    });
  });

  it("returns each unit's control map when asked, and again from the replay cache", async () => {
    const body = generation({
      controlnet: [{ model: canny, image: CONTROL_IMAGE }],
      return_control_maps: true,
    });
    const maps = [{ unit: 0, b64_json: CONTROL_IMAGE }];
    const first = await post(body, key, env());
    expect(await expectJson(first, 200)).toMatchObject({ control_maps: maps });
    const replay = await post(body, key, env());
    expect(replay.headers.get("X-Cache")).toBe("HIT");
    expect(await expectJson(replay, 200)).toMatchObject({ control_maps: maps });
    const without = await post(
      generation({ controlnet: [{ model: canny, image: CONTROL_IMAGE }] }),
      key,
      env(),
    );
    expect(await expectJson(without, 200)).not.toHaveProperty("control_maps");
  });

  it("resolves them on a registry edge too, for a model alias's version, routed to holders of both", async () => {
    const { alias, version } = await freshTinyAlias();
    const prompt = uniquePrompt();
    const res = await post(
      generation({ prompt, model: `tiny@${alias}`, lora: [{ name: ink }] }),
      key,
      registryEdge(),
    );
    expect(res.status).toBe(200);
    const [call] = await callsTo("healthy", prompt);
    expect(call?.body).toMatchObject({
      model_version: { version: version.version, digest: version.digest },
      lora: [{ name: ink, digest: FAKE_LORA.digest, weight: 1 }],
    });
  });

  it("refuses a LoRA that is unknown, pending, or for another model, naming the field", async () => {
    const unknown = await post(generation({ lora: [{ name: "nobody-registered-this" }] }), key, env());
    expect(await expectJson(unknown, 400)).toMatchObject({ error: { param: "lora.0.name" } });
    const pending = (await approvedAdapter("lora", ["tiny"], { approve: false })).name;
    const notApproved = await post(generation({ prompt: `x <lora:${pending}:1>` }), key, env());
    expect(await expectJson(notApproved, 400)).toMatchObject({ error: { param: "prompt" } });
    const sdxl = (await approvedAdapter("lora", ["sdxl"])).name;
    const wrongModel = await post(generation({ lora: [{ name: ink }, { name: sdxl }] }), key, env());
    expect(await expectJson(wrongModel, 400)).toMatchObject({
      error: { param: "lora.1.name", message: expect.stringMatching(/is for sdxl, not 'tiny'/) },
    });
    const wrongUnit = await post(
      generation({
        controlnet: [{ model: (await approvedAdapter("controlnet", ["sdxl"])).name, image: CONTROL_IMAGE }],
      }),
      key,
      env(),
    );
    expect(await expectJson(wrongUnit, 400)).toMatchObject({ error: { param: "controlnet.0.model" } });
  });

  it("answers 503 adapter_unavailable when no backend holds an approved adapter's file", async () => {
    const undeployed = (await approvedAdapter("lora", ["tiny"], { digest: randomHex(32) })).name;
    const prompt = uniquePrompt();
    const res = await post(generation({ prompt, lora: [{ name: undeployed }] }), key, env());
    expect(await expectJson(res, 503)).toMatchObject({
      error: { code: "adapter_unavailable", message: expect.stringContaining(`LoRA '${undeployed}'`) },
    });
    expect(await callsTo("healthy", prompt)).toEqual([]);
  });

  it("runs an async job with its LoRA resolved and routed, as the synchronous path does", async () => {
    const { key: jobKey } = await seedJobKey();
    const testEnv = jobsEnv();
    const jobOf = async (lora: string) => {
      const body = { prompt: uniqueJobPrompt(), steps: 2, seed: 3, lora: [{ name: lora, weight: 0.4 }] };
      const response = await submit(body, jobKey, testEnv);
      expect(response.status).toBe(202);
      return waitForJob(((await response.json()) as JobView).id, jobKey, testEnv);
    };
    expect((await jobOf(ink)).status).toBe("succeeded");
    const undeployed = (await approvedAdapter("lora", ["tiny"])).name;
    expect(await jobOf(undeployed)).toMatchObject({
      status: "failed",
      error: { code: "adapter_unavailable" },
    });
    const refused = await submit(
      { prompt: "x", lora: [{ name: "nobody-registered-this" }] },
      jobKey,
      testEnv,
    );
    expect(await expectJson(refused, 400)).toMatchObject({ error: { param: "lora.0.name" } });
  });

  it("prices a request naming adapters, and refuses an unknown one, at POST /v1/estimate", async () => {
    const { key: jobKey } = await seedJobKey();
    const priced = await request("POST", "/v1/estimate", jobKey, jobsEnv(["stream"]), {
      body: { prompt: "a fox", lora: [{ name: ink, weight: 0.6 }] },
    });
    expect(priced.status).toBe(200);
    const refused = await request("POST", "/v1/estimate", jobKey, jobsEnv(["stream"]), {
      body: { prompt: "a fox", controlnet: [{ model: "nobody-registered-this", image: CONTROL_IMAGE }] },
    });
    expect(await expectJson(refused, 400)).toMatchObject({ error: { param: "controlnet.0.model" } });
  });
});
