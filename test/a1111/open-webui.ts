// Recorded in the shapes Open WebUI sends to an AUTOMATIC1111 server, from open-webui/open-webui
// `backend/open_webui/routers/images.py` (commit 02530d501461ce58ab06231d7c2ef2024a141ddf):
// - `get_automatic1111_api_auth`: `authorization: Basic base64(AUTOMATIC1111_API_AUTH)`, the setting
//   being "user:password" (here the password is an sdgate API key);
// - `set_image_model`: GET /sdapi/v1/options, then POST /sdapi/v1/options with every option it read
//   and `sd_model_checkpoint` changed;
// - `image_generations`, automatic1111 branch: POST /sdapi/v1/txt2img with `prompt`, `batch_size`
//   (the request's `n`), `width`, `height`, `steps` when set, `negative_prompt` when given, then the
//   admin's `AUTOMATIC1111_PARAMS` merged over them (here a sampler, a schedule and CFG, as its
//   settings page suggests); it reads `images` and `info`.

/** The `authorization` header Open WebUI sends for `AUTOMATIC1111_API_AUTH = "openwebui:<key>"`. */
export function openWebUiAuthorization(apiKey: string): string {
  return `Basic ${Buffer.from(`openwebui:${apiKey}`, "utf8").toString("base64")}`;
}

/** `AUTOMATIC1111_PARAMS` as an admin would set it (a JSON object merged into every request). */
export const OPEN_WEBUI_PARAMS = { cfg_scale: 7, sampler_name: "DPM++ 2M", scheduler: "Karras" } as const;

/** The txt2img body for "a lighthouse at dusk", n = 2, 64×64, 4 steps, with a negative prompt. */
export function openWebUiTxt2ImgBody(prompt: string): Record<string, unknown> {
  const data: Record<string, unknown> = { prompt, batch_size: 2, width: 64, height: 64 };
  data.steps = 4;
  data.negative_prompt = "blurry";
  return { ...data, ...OPEN_WEBUI_PARAMS };
}
