import { describe, expect, it } from "vitest";
import { jobsEnv, request, seedJobKey, streamCalls, uniqueJobPrompt } from "../test-support/jobs-harness.ts";

const basic = (key: string, user = "sdgate") => ({ authorization: `Basic ${btoa(`${user}:${key}`)}` });
const PNG_SIGNATURE = "iVBORw0KGgo";

interface A1111Images {
  images: string[];
  parameters: Record<string, unknown>;
  info: string;
}

/** A PNG carrying `parameters` in a tEXt chunk (chunk CRCs left zero: readers of text do not check them). */
function pngWithParameters(text: string): string {
  const bytes = (s: string) => [...s].map((ch) => ch.charCodeAt(0));
  const chunk = (type: string, data: number[]) => [
    ...[24, 16, 8, 0].map((shift) => (data.length >>> shift) & 0xff),
    ...bytes(type),
    ...data,
    0,
    0,
    0,
    0,
  ];
  const ihdr = [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0];
  const png = [
    ...[0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    ...chunk("IHDR", ihdr),
    ...chunk("tEXt", bytes(`parameters\0${text}`)),
    ...chunk("IEND", []),
  ];
  return btoa(String.fromCharCode(...png));
}

describe("A1111's txt2img: the happy path", () => {
  it("runs n_iter jobs of batch_size images behind HTTP Basic, answering A1111's shape with seeds counting on", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const body = {
      prompt: uniqueJobPrompt(),
      seed: 7,
      steps: 3,
      batch_size: 2,
      n_iter: 2,
      sampler_name: "Euler a",
    };
    const res = await request("POST", "/sdapi/v1/txt2img", null, testEnv, { body, headers: basic(key) });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as A1111Images;
    expect(answer.images).toHaveLength(4);
    for (const image of answer.images) expect(image.startsWith(PNG_SIGNATURE)).toBe(true);
    expect(answer.parameters).toEqual(body);
    const info = JSON.parse(answer.info) as Record<string, unknown>;
    expect(info).toMatchObject({
      prompt: body.prompt,
      seed: 7,
      all_seeds: [7, 8, 9, 10],
      all_prompts: Array(4).fill(body.prompt),
      sampler_name: "Euler a",
      steps: 3,
      batch_size: 2,
      sd_model_name: "tiny",
      styles: [],
    });
    expect(info.infotexts).toHaveLength(4);
    expect(info.job_timestamp).toMatch(/^\d{14}$/);
  });

  it("answers the same seeded request from the replay cache, without the backend", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const body = { prompt: uniqueJobPrompt(), seed: 11, steps: 2 };
    const first = (await (
      await request("POST", "/sdapi/v1/txt2img", key, testEnv, { body })
    ).json()) as A1111Images;
    const again = (await (
      await request("POST", "/sdapi/v1/txt2img", key, testEnv, { body })
    ).json()) as A1111Images;
    expect(again.images).toEqual(first.images);
    expect(await streamCalls("stream", body.prompt)).toHaveLength(1);
  });
});

describe("A1111's routes: who may call them", () => {
  it("take the key as Bearer or as Basic's password (any username); refuse none, a bad one, or a bad password", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    expect((await request("GET", "/sdapi/v1/samplers", key, testEnv)).status).toBe(200);
    expect(
      (await request("GET", "/sdapi/v1/samplers", null, testEnv, { headers: basic(key, "anyone") })).status,
    ).toBe(200);
    const none = await request("GET", "/sdapi/v1/samplers", null, testEnv);
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: "missing_api_key", detail: expect.any(String) });
    const wrong = await request("GET", "/sdapi/v1/samplers", null, testEnv, {
      headers: basic("sk_test_0000000000000000000000000000"),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({
      error: "invalid_api_key",
      body: "",
      errors: expect.any(String),
    });
    const notBasic = await request("GET", "/sdapi/v1/samplers", null, testEnv, {
      headers: { authorization: `Basic ${btoa(key)}` },
    });
    expect(notBasic.status).toBe(401);
  });

  it("do not take Basic on sdgate's own routes", async () => {
    const { key } = await seedJobKey();
    const res = await request("GET", "/v1/models", null, jobsEnv(), { headers: basic(key) });
    expect(res.status).toBe(401);
  });
});

describe("A1111's routes: bad input", () => {
  it("is a 4xx in A1111's error shape naming A1111's field", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const post = async (body: unknown) => {
      const res = await request("POST", "/sdapi/v1/txt2img", key, testEnv, { body });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const styles = await post({ prompt: "x", styles: ["cinematic"] });
    expect(styles.status).toBe(400);
    expect(styles.body).toMatchObject({ error: "invalid_request", param: "styles", body: "" });
    expect(styles.body.detail).toContain("styles");
    expect((await post({ prompt: "x", sampler_name: "Heun" })).body.param).toBe("sampler_name");
    expect((await post({ prompt: "" })).body.param).toBe("prompt");
    expect((await post({ prompt: "x", width: 7 })).body.param).toBe("width");
    const img2img = await request("POST", "/sdapi/v1/img2img", key, testEnv, { body: { prompt: "x" } });
    expect(((await img2img.json()) as { param: string }).param).toBe("init_images");
  });
});

describe("A1111's lists and options", () => {
  it("list what sdgate runs, by A1111's names", async () => {
    const { key } = await seedJobKey();
    const testEnv = jobsEnv();
    const get = async (path: string) => (await request("GET", path, key, testEnv)).json();
    const samplers = (await get("/sdapi/v1/samplers")) as Array<{ name: string }>;
    expect(samplers.map((s) => s.name)).toEqual([
      "Euler",
      "Euler a",
      "DPM++ 2M",
      "DPM++ 2M SDE",
      "DDIM",
      "LCM",
    ]);
    expect(((await get("/sdapi/v1/schedulers")) as Array<{ label: string }>).map((s) => s.label)).toEqual([
      "Automatic",
      "Karras",
    ]);
    expect(await get("/sdapi/v1/sd-models")).toContainEqual(
      expect.objectContaining({ title: "tiny", model_name: "tiny" }),
    );
    expect(await get("/sdapi/v1/upscalers")).toEqual([]);
    expect(await get("/sdapi/v1/latent-upscale-modes")).toEqual([{ name: "Latent" }]);
    expect(await get("/sdapi/v1/sd-vae")).toEqual([]);
    // Other tests register adapters in the same D1; what they list is adapters.test.ts's to check.
    for (const lora of (await get("/sdapi/v1/loras")) as object[])
      expect(Object.keys(lora).sort()).toEqual(["alias", "metadata", "name", "path"]);
    expect(await get("/controlnet/model_list")).toEqual({ model_list: expect.any(Array) });
    const modules = (await get("/controlnet/module_list")) as {
      module_list: string[];
      module_detail: object;
    };
    expect(modules.module_list).toEqual(["none", "canny", "depth", "openpose"]);
    expect(Object.keys(modules.module_detail)).toEqual(modules.module_list);
  });

  it("keep sd_model_checkpoint per key: a model it may use, read back by GET and used by txt2img", async () => {
    const { key } = await seedJobKey();
    const other = await seedJobKey();
    const testEnv = jobsEnv();
    const options = async (k: string) =>
      (await (await request("GET", "/sdapi/v1/options", k, testEnv)).json()) as Record<string, unknown>;
    expect((await options(key)).sd_model_checkpoint).toBe("tiny");
    const unknown = await request("POST", "/sdapi/v1/options", key, testEnv, {
      body: { sd_model_checkpoint: "sdxl-nope" },
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ param: "sd_model_checkpoint" });
    // Open WebUI posts back every option it read, with the checkpoint changed.
    const set = await request("POST", "/sdapi/v1/options", key, testEnv, {
      body: { ...(await options(key)), sd_model_checkpoint: "tiny [0123456789]" },
    });
    expect(set.status).toBe(200);
    expect(await set.json()).toBeNull();
    expect((await options(key)).sd_model_checkpoint).toBe("tiny");
    expect((await options(other.key)).sd_model_checkpoint).toBe("tiny");
  });

  it("read a PNG's parameters text back (png-info)", async () => {
    const { key } = await seedJobKey();
    const text =
      "a fox\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, Size: 512x768";
    const res = await request("POST", "/sdapi/v1/png-info", key, jobsEnv(), {
      body: { image: pngWithParameters(text) },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      info: text,
      items: {},
      parameters: {
        Prompt: "a fox",
        "Negative prompt": "blurry",
        Steps: "20",
        Sampler: "Euler a",
        "CFG scale": "7",
        Seed: "42",
        "Size-1": "512",
        "Size-2": "768",
      },
    });
  });
});
