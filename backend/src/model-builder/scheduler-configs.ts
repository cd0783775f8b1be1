/**
 * `scheduler/scheduler_config.json` as each family's reference repository ships it on the Hugging Face
 * Hub (the `_diffusers_version` each was written with kept), so the engine reads the same keys it will
 * meet in real folders.
 */
const SCALED_LINEAR = {
  beta_end: 0.012,
  beta_schedule: "scaled_linear",
  beta_start: 0.00085,
  num_train_timesteps: 1000,
  trained_betas: null,
} as const;

/** stable-diffusion-v1-5/stable-diffusion-v1-5 (and the inpainting model): PNDM, `steps_offset: 1`. */
export const SD15_SCHEDULER = {
  _class_name: "PNDMScheduler",
  _diffusers_version: "0.6.0",
  ...SCALED_LINEAR,
  clip_sample: false,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
};

/** stabilityai/stable-diffusion-2-1 (768-v): DDIM with `prediction_type: "v_prediction"`. */
export const SD2_V_SCHEDULER = {
  _class_name: "DDIMScheduler",
  _diffusers_version: "0.8.0",
  ...SCALED_LINEAR,
  clip_sample: false,
  prediction_type: "v_prediction",
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
};

/** stabilityai/stable-diffusion-xl-base-1.0: Euler, leading spacing. */
export const SDXL_SCHEDULER = {
  _class_name: "EulerDiscreteScheduler",
  _diffusers_version: "0.19.0.dev0",
  ...SCALED_LINEAR,
  clip_sample: false,
  interpolation_type: "linear",
  prediction_type: "epsilon",
  sample_max_value: 1.0,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  timestep_spacing: "leading",
  use_karras_sigmas: false,
};

/** stabilityai/sdxl-turbo: Euler ancestral with trailing spacing, for 1–4 steps. */
export const TURBO_SCHEDULER = {
  ...SDXL_SCHEDULER,
  _class_name: "EulerAncestralDiscreteScheduler",
  _diffusers_version: "0.24.0.dev0",
  timestep_spacing: "trailing",
};

/** SimianLuo/LCM_Dreamshaper_v7: LCMScheduler distilled from 50 steps. */
export const LCM_SCHEDULER = {
  _class_name: "LCMScheduler",
  _diffusers_version: "0.22.0.dev0",
  ...SCALED_LINEAR,
  clip_sample: false,
  clip_sample_range: 1.0,
  dynamic_thresholding_ratio: 0.995,
  original_inference_steps: 50,
  prediction_type: "epsilon",
  rescale_betas_zero_snr: false,
  sample_max_value: 1.0,
  set_alpha_to_one: true,
  steps_offset: 1,
  thresholding: false,
  timestep_scaling: 10.0,
  timestep_spacing: "leading",
};
