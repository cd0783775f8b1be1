import { automatic1111, generateImage } from "modelfusion";
import { expect, it } from "vitest";
import type { Stack } from "../../scripts/stack/start-stack.ts";
import { OPEN_WEBUI_PARAMS, openWebUiAuthorization, openWebUiTxt2ImgBody } from "./open-webui.ts";
import { sillyTavernAuthorization, sillyTavernTxt2ImgBody } from "./sillytavern.ts";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface A1111Images {
  images: string[];
  info: string;
}

const isPng = (b64: string) => [...Buffer.from(b64, "base64").subarray(0, 8)].join() === PNG_SIGNATURE.join();

async function call(stack: Stack, method: string, path: string, authorization: string, body?: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: {
      authorization,
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as unknown };
}

/**
 * AUTOMATIC1111 clients against the local stack, unchanged: modelfusion's Automatic1111 provider (a
 * real client no one here wrote, through its own `headers` option for HTTP Basic, as it has no key
 * setting), and the requests Open WebUI and SillyTavern send, recorded in their shapes from their
 * source (see `open-webui.ts`, `sillytavern.ts`). Tiny requests: 64×64, 4 steps.
 */
export function a1111Scenarios(stack: () => Stack): void {
  it("modelfusion's Automatic1111 provider generates through /sdapi/v1/txt2img with HTTP Basic", async () => {
    const { url, apiKey } = stack();
    const { hostname, port, protocol } = new URL(url);
    const api = automatic1111.Api({
      baseUrl: { protocol: protocol.replace(":", "") as "http", host: hostname, port },
      headers: { Authorization: `Basic ${Buffer.from(`modelfusion:${apiKey}`).toString("base64")}` },
    });
    const { image, rawResponse } = await generateImage({
      model: automatic1111
        .ImageGenerator({ api, model: "tiny", steps: 4, width: 64, height: 64, seed: 21, sampler: "Euler a" })
        .withTextPrompt(),
      prompt: "a lighthouse at dusk",
      fullResponse: true,
    });
    expect([...image.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    const info = JSON.parse((rawResponse as A1111Images).info) as Record<string, unknown>;
    expect(info).toMatchObject({ seed: 21, all_seeds: [21], sampler_name: "Euler a", sd_model_name: "tiny" });
    // The infotext the image carries, as A1111 writes it.
    expect((info.infotexts as string[])[0]).toMatch(
      /^a lighthouse at dusk\nSteps: 4, Sampler: Euler a, .*Seed: 21/,
    );
  });

  it("modelfusion shows the error's detail: a refused request names A1111's field", async () => {
    const { url, apiKey } = stack();
    const { hostname, port } = new URL(url);
    const api = automatic1111.Api({
      baseUrl: { protocol: "http", host: hostname, port },
      headers: { Authorization: `Bearer ${apiKey}` },
    });
    const failed = await generateImage({
      model: automatic1111
        .ImageGenerator({ api, model: "tiny", steps: 4, width: 64, height: 64, sampler: "Heun" })
        .withTextPrompt(),
      prompt: "a lighthouse",
    }).then(
      () => null,
      (error: unknown) => error as Error,
    );
    expect(failed?.message).toContain("sampler_name");
  });

  it("Open WebUI: reads the options, sets the checkpoint back with all of them, then generates n images", async () => {
    const { apiKey } = stack();
    const authorization = openWebUiAuthorization(apiKey);
    const options = await call(stack(), "GET", "/sdapi/v1/options", authorization);
    expect(options.status).toBe(200);
    const read = options.body as Record<string, unknown>;
    const set = await call(stack(), "POST", "/sdapi/v1/options", authorization, {
      ...read,
      sd_model_checkpoint: "tiny",
    });
    expect(set.status).toBe(200);
    const generated = await call(
      stack(),
      "POST",
      "/sdapi/v1/txt2img",
      authorization,
      openWebUiTxt2ImgBody("a red barn"),
    );
    expect(generated.status).toBe(200);
    const { images, info } = generated.body as A1111Images;
    expect(images).toHaveLength(2);
    expect(images.every(isPng)).toBe(true);
    const parsed = JSON.parse(info) as {
      all_seeds: number[];
      sampler_name: string;
      scheduler: string;
      cfg_scale: number;
    };
    expect(parsed.all_seeds[1]).toBe((parsed.all_seeds[0] ?? 0) + 1);
    expect(parsed).toMatchObject({
      sampler_name: OPEN_WEBUI_PARAMS.sampler_name,
      scheduler: "Karras",
      cfg_scale: 7,
    });
  });

  it("SillyTavern: its lists, a model switch it waits out on /progress, and a generation with its defaults", async () => {
    const { apiKey } = stack();
    const authorization = sillyTavernAuthorization(apiKey);
    const names = async (path: string) =>
      ((await call(stack(), "GET", path, authorization)).body as Array<{ name: string }>).map((x) => x.name);
    expect(await names("/sdapi/v1/samplers")).toContain("DDIM");
    // "0 = None, then Latent Upscalers, then Upscalers": what it offers for hires fix.
    const upscalers = await names("/sdapi/v1/upscalers");
    upscalers.splice(1, 0, ...(await names("/sdapi/v1/latent-upscale-modes")));
    expect(upscalers).toEqual(["Latent"]);
    const models = (await call(stack(), "GET", "/sdapi/v1/sd-models", authorization)).body as Array<{
      title: string;
    }>;
    const title = models[0]?.title ?? "";
    expect(
      (await call(stack(), "POST", "/sdapi/v1/options", authorization, { sd_model_checkpoint: title }))
        .status,
    ).toBe(200);
    const progress = (await call(stack(), "GET", "/sdapi/v1/progress", authorization)).body as {
      progress: number;
      state: { job_count: number };
    };
    expect(progress.progress === 0 && progress.state.job_count === 0).toBe(true);
    expect((await call(stack(), "GET", "/sdapi/v1/options", authorization)).status).toBe(200);
    const generated = await call(
      stack(),
      "POST",
      "/sdapi/v1/txt2img",
      authorization,
      sillyTavernTxt2ImgBody("a cat in a hat", apiKey),
    );
    expect(generated.status).toBe(200);
    const { images } = generated.body as A1111Images;
    expect(images).toHaveLength(1);
    expect(isPng(images[0] ?? "")).toBe(true);
  });
}
