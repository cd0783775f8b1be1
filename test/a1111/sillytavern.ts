// Recorded in the shapes SillyTavern sends to an AUTOMATIC1111 server. The browser builds the body
// (SillyTavern/SillyTavern `public/scripts/extensions/stable-diffusion/index.js`, `generateAutoImage`,
// commit 41ac2c07b2c8a7e929d013f029f53da331974e6e) and posts it to SillyTavern's server, whose
// `src/endpoints/stable-diffusion.js` (`/generate`, `/set-model`, `/samplers`, `/upscalers`,
// commit 02903fdd3ad33dc642fb328e43d0a8b3724e1a38) forwards it unchanged, `url` and `auth` included,
// to /sdapi/v1/txt2img with `Authorization: getBasicAuthHeader(auth)`; it reads `images[0]`. Before
// generating it GETs /sdapi/v1/options (to tell Forge apart); setting a model POSTs
// `{ sd_model_checkpoint }` to /sdapi/v1/options and then polls /sdapi/v1/progress until `progress`
// is 0 and `state.job_count` is 0; its lists read /samplers, /upscalers + /latent-upscale-modes and
// /sd-models (`title`).

/** `getBasicAuthHeader(auth)` for the extension's `auto_auth` setting, "user:password". */
export function sillyTavernAuthorization(apiKey: string): string {
  return `Basic ${Buffer.from(`sillytavern:${apiKey}`).toString("base64")}`;
}

/**
 * The body `generateAutoImage` builds with the extension's defaults (`defaultSettings`: sampler
 * "DDIM", scale 7, hires off with "Latent", denoising 0.7), made small: 64×64, 4 steps.
 */
export function sillyTavernTxt2ImgBody(prompt: string, apiKey: string): Record<string, unknown> {
  return {
    url: "http://localhost:7860",
    auth: `sillytavern:${apiKey}`,
    prompt,
    negative_prompt:
      "lowres, bad anatomy, bad hands, text, error, cropped, worst quality, low quality, normal quality, jpeg artifacts, signature, watermark, username, blurry",
    sampler_name: "DDIM",
    steps: 4,
    cfg_scale: 7,
    width: 64,
    height: 64,
    restore_faces: false,
    enable_hr: false,
    hr_upscaler: "Latent",
    hr_scale: 2.0,
    denoising_strength: 0.7,
    hr_second_pass_steps: 0,
    save_images: true,
    send_images: true,
    do_not_save_grid: false,
    do_not_save_samples: false,
  };
}
