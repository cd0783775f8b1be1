import { z } from "zod";
import { type NamedSchema, named, type OperationSpec } from "./operation-spec.ts";

// AUTOMATIC1111's HTTP API (`/sdapi/v1/*`, issue 18) in front of sdgate's keys, limits, replay cache and
// failover, for the clients written against A1111 (Open WebUI, SillyTavern, webuiapi, modelfusion).
// The shapes are A1111's (stable-diffusion-webui `modules/api/models.py`) and its ControlNet
// extension's, not sdgate's: these operations are tagged `a1111`, and the SDK leaves them to those
// clients. Bodies are loose, as A1111's are: a field A1111 would ignore is ignored here too.

const looseBody = z.looseObject({});

/** `images`: base64 PNGs without a data: prefix; `info`: A1111's `Processed.js()` JSON text. */
const a1111ImagesSchema = z.looseObject({
  images: z.array(z.string()),
  parameters: z.looseObject({}),
  info: z.string(),
});

const a1111ProgressSchema = z.looseObject({
  progress: z.number(),
  eta_relative: z.number(),
  state: z.looseObject({
    skipped: z.boolean(),
    interrupted: z.boolean(),
    job: z.string(),
    job_count: z.number(),
    job_timestamp: z.string(),
    job_no: z.number(),
    sampling_step: z.number(),
    sampling_steps: z.number(),
  }),
  current_image: z.string().nullable(),
  textinfo: z.string().nullable(),
});

export const A1111_SCHEMAS = {
  A1111Txt2ImgRequest: named("A1111Txt2ImgRequest", looseBody),
  A1111Img2ImgRequest: named("A1111Img2ImgRequest", looseBody),
  A1111Images: named("A1111Images", a1111ImagesSchema),
  A1111Progress: named("A1111Progress", a1111ProgressSchema),
  A1111Options: named("A1111Options", looseBody),
  /** `{}`: what A1111 answers `/interrupt` and `/skip` with. */
  A1111Empty: named("A1111Empty", z.strictObject({})),
  /** `null`: what A1111 answers `POST /options` with. */
  A1111Null: named("A1111Null", z.null()),
  A1111PngInfoRequest: named("A1111PngInfoRequest", z.looseObject({ image: z.string() })),
  A1111PngInfo: named(
    "A1111PngInfo",
    z.looseObject({ info: z.string(), items: z.looseObject({}), parameters: z.looseObject({}) }),
  ),
  A1111List: named("A1111List", z.array(z.looseObject({}))),
  A1111ControlNetModels: named("A1111ControlNetModels", z.looseObject({ model_list: z.array(z.string()) })),
  A1111ControlNetModules: named(
    "A1111ControlNetModules",
    z.looseObject({ module_list: z.array(z.string()), module_detail: z.looseObject({}) }),
  ),
} as const satisfies Record<string, NamedSchema>;

const S = A1111_SCHEMAS;
const READ = { kind: "api_key", scope: "read" } as const;
const GENERATE = { kind: "api_key", scope: "generate" } as const;
const TAGS = ["a1111"] as const;

const list = <const P extends string>(path: P, summary: string) =>
  ({
    method: "GET",
    path,
    summary,
    tags: TAGS,
    access: READ,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.A1111List, description: "A1111's list." },
  }) as const satisfies OperationSpec;

export const A1111_OPERATIONS = {
  sdapiTextToImage: {
    method: "POST",
    path: "/sdapi/v1/txt2img",
    summary:
      "A1111's text-to-image: each `n_iter` iteration is one sdgate job of `batch_size` images, under the same keys, limits, replay cache, failover and audit as `POST /v1/images/generations`.",
    tags: TAGS,
    access: GENERATE,
    permission: "images.generate",
    idempotent: false,
    body: S.A1111Txt2ImgRequest,
    success: { status: 200, schema: S.A1111Images, description: "The images, the request and `info`." },
  },
  sdapiImageToImage: {
    method: "POST",
    path: "/sdapi/v1/img2img",
    summary: "A1111's image-to-image and inpainting (`init_images[0]`, `mask`, `denoising_strength`).",
    tags: TAGS,
    access: GENERATE,
    permission: "images.generate",
    idempotent: false,
    body: S.A1111Img2ImgRequest,
    success: { status: 200, schema: S.A1111Images, description: "The images, the request and `info`." },
  },
  sdapiProgress: {
    method: "GET",
    path: "/sdapi/v1/progress",
    summary:
      "The progress of this key's current A1111 generation (A1111's is per server; here each key sees only its own), with the latest preview as `current_image`.",
    tags: TAGS,
    access: READ,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.A1111Progress, description: "Progress." },
  },
  sdapiInterrupt: {
    method: "POST",
    path: "/sdapi/v1/interrupt",
    summary: "Stops this key's current A1111 generation and its remaining iterations.",
    tags: TAGS,
    access: GENERATE,
    permission: "images.generate",
    idempotent: true,
    success: { status: 200, schema: S.A1111Empty, description: "`{}`, as A1111 answers." },
  },
  sdapiSkip: {
    method: "POST",
    path: "/sdapi/v1/skip",
    summary: "Stops the current iteration of this key's A1111 generation; the next one runs.",
    tags: TAGS,
    access: GENERATE,
    permission: "images.generate",
    idempotent: false,
    success: { status: 200, schema: S.A1111Empty, description: "`{}`, as A1111 answers." },
  },
  sdapiGetOptions: {
    method: "GET",
    path: "/sdapi/v1/options",
    summary: "A1111's options this edge honours (`sd_model_checkpoint`, this key's default model).",
    tags: TAGS,
    access: READ,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.A1111Options, description: "The options." },
  },
  sdapiSetOptions: {
    method: "POST",
    path: "/sdapi/v1/options",
    summary:
      "Sets this key's `sd_model_checkpoint` (the model its A1111 requests use when they name none); other options are accepted and ignored.",
    tags: TAGS,
    access: GENERATE,
    permission: "images.generate",
    idempotent: true,
    body: S.A1111Options,
    success: { status: 200, schema: S.A1111Null, description: "`null`, as A1111 answers." },
  },
  sdapiModels: list("/sdapi/v1/sd-models", "The models this key may use, as A1111's checkpoints."),
  sdapiSamplers: list("/sdapi/v1/samplers", "The samplers sdgate runs, by A1111's names."),
  sdapiSchedulers: list("/sdapi/v1/schedulers", "The noise schedules sdgate runs, by A1111's names."),
  sdapiVaes: list("/sdapi/v1/sd-vae", "VAEs: none apart from each model's own."),
  sdapiUpscalers: list("/sdapi/v1/upscalers", "Upscalers for hires fix: `None` (sdgate upscales latents)."),
  sdapiLatentUpscaleModes: list("/sdapi/v1/latent-upscale-modes", "Hires fix's latent upscale: `Latent`."),
  sdapiLoras: list("/sdapi/v1/loras", "The LoRAs this key may name (`<lora:name:weight>`)."),
  sdapiPngInfo: {
    method: "POST",
    path: "/sdapi/v1/png-info",
    summary: "The generation parameters a PNG carries (A1111's infotext, or a ComfyUI workflow's).",
    tags: TAGS,
    access: READ,
    permission: "models.read",
    idempotent: true,
    body: S.A1111PngInfoRequest,
    success: { status: 200, schema: S.A1111PngInfo, description: "`info`, `items`, `parameters`." },
  },
  sdapiControlNetModels: {
    method: "GET",
    path: "/controlnet/model_list",
    summary: "The ControlNet models this key may name (the ControlNet extension's list).",
    tags: TAGS,
    access: READ,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.A1111ControlNetModels, description: "`model_list`." },
  },
  sdapiControlNetModules: {
    method: "GET",
    path: "/controlnet/module_list",
    summary: "The ControlNet preprocessors sdgate runs (the extension's `module_list`).",
    tags: TAGS,
    access: READ,
    permission: "models.read",
    idempotent: true,
    success: {
      status: 200,
      schema: S.A1111ControlNetModules,
      description: "`module_list`, `module_detail`.",
    },
  },
} as const satisfies Record<string, OperationSpec>;
