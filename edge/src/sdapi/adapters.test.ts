import { describe, expect, it } from "vitest";
import { approvedAdapter } from "../adapters/testing.ts";
import { FAKE_ADAPTERS } from "../test-support/fake-backends.ts";
import { jobsEnv, request, seedJobKey, uniqueJobPrompt } from "../test-support/jobs-harness.ts";
import { a1111Param } from "./params.ts";

const PIXEL = "iVBORw0KGgo=";

describe("A1111's LoRA and ControlNet lists, from the adapter registry", () => {
  it("list the approved adapters the key may name; a ControlNet title's [hash] names it back in a unit", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const lora = await approvedAdapter("lora", ["tiny"]);
    // The digest the fake backends hold, so the unit below is served.
    const held = FAKE_ADAPTERS.find((adapter) => adapter.kind === "controlnet")?.digest ?? "";
    const controlnet = await approvedAdapter("controlnet", ["tiny"], { digest: held });
    const pending = await approvedAdapter("lora", ["tiny"], { approve: false });
    const loras = (await (await request("GET", "/sdapi/v1/loras", key, testEnv)).json()) as Array<{
      name: string;
    }>;
    expect(loras.map((l) => l.name)).toContain(lora.name);
    expect(loras.map((l) => l.name)).not.toContain(pending.name);
    const { model_list } = (await (await request("GET", "/controlnet/model_list", key, testEnv)).json()) as {
      model_list: string[];
    };
    const title = `${controlnet.name} [${controlnet.digest.slice(0, 8)}]`;
    expect(model_list).toContain(title);

    const unit = { enabled: true, module: "canny", model: title, image: PIXEL, weight: 0.5, threshold_a: 80 };
    const body = {
      prompt: uniqueJobPrompt(),
      steps: 2,
      seed: 5,
      alwayson_scripts: { controlnet: { args: [unit] } },
    };
    const res = await request("POST", "/sdapi/v1/txt2img", key, testEnv, { body });
    // As the extension answers: the image, then the unit's detected map (here the control image
    // itself, which the fake backend returns as its map).
    const { images } = (await res.json()) as { images: string[] };
    expect(images).toHaveLength(2);
    expect(images[1]).toBe(PIXEL);
    const unsaved = { ...unit, save_detected_map: false };
    const plain = await request("POST", "/sdapi/v1/txt2img", key, testEnv, {
      body: { ...body, alwayson_scripts: { controlnet: { args: [unsaved] } } },
    });
    expect(((await plain.json()) as { images: string[] }).images).toHaveLength(1);
  });

  it("tell sdgate's refusal of a unit in A1111's terms: the args entry it came from", async () => {
    const { key } = await seedJobKey();
    const args = [
      { enabled: false, model: "off", module: "none", image: PIXEL },
      { model: "not-registered", module: "none", image: PIXEL },
    ];
    const res = await request("POST", "/sdapi/v1/txt2img", key, jobsEnv(), {
      body: { prompt: "x", steps: 2, alwayson_scripts: { controlnet: { args } } },
    });
    expect(res.status).toBe(400);
    const error = (await res.json()) as { param: string; detail: string };
    expect(error.param).toMatch(/^alwayson_scripts\.controlnet\.args\.1/);
    expect(error.detail).not.toContain("'controlnet.");
  });

  it("name A1111's fields for sdgate's", () => {
    expect(a1111Param("guidance_scale", [], "controlnet")).toBe("cfg_scale");
    expect(a1111Param("n", [], "controlnet")).toBe("batch_size");
    expect(a1111Param("controlnet.0.preprocessor", [3], "ControlNet")).toBe(
      "alwayson_scripts.ControlNet.args.3.module",
    );
    expect(a1111Param("steps", [], "controlnet")).toBe("steps");
  });
});

describe("A1111's img2img", () => {
  it("runs init_images[0] with denoising_strength, and leaves the input images out of parameters", async () => {
    const { key } = await seedJobKey();
    const body = {
      prompt: uniqueJobPrompt(),
      steps: 4,
      seed: 9,
      init_images: [PIXEL],
      denoising_strength: 0.5,
    };
    const res = await request("POST", "/sdapi/v1/img2img", key, jobsEnv(), { body });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as {
      images: string[];
      parameters: Record<string, unknown>;
      info: string;
    };
    expect(answer.images).toHaveLength(1);
    expect(answer.parameters).toMatchObject({ init_images: null, mask: null, denoising_strength: 0.5 });
    expect(JSON.parse(answer.info)).toMatchObject({ denoising_strength: 0.5, all_seeds: [9] });
  });
});
