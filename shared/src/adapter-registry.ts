/**
 * The edge's registry of LoRAs and ControlNet models (issue 18): what an operator registers, what an
 * approver (never the one who registered it) approves, and what callers see of it.
 */
import { z } from "zod";
import { adapterNameSchema } from "./adapters.ts";
import { ADAPTER_KINDS } from "./internal-api.ts";
import {
  digestSchema,
  MAX_MODEL_DESCRIPTION_CHARS,
  MAX_SOURCE_URI_CHARS,
  modelIdSchema,
} from "./model-registry.ts";

/**
 * `pending` until someone other than the registrant approves or rejects it; an approved adapter may be
 * `deprecated` (it still serves, and lists as deprecated, so callers move off it) and then `removed`
 * (it no longer resolves). `rejected` and `removed` are final: a name is never reused, so an audit row
 * naming one stays unambiguous.
 */
export const ADAPTER_STATUSES = ["pending", "approved", "rejected", "deprecated", "removed"] as const;
export type AdapterStatus = (typeof ADAPTER_STATUSES)[number];

/** The statuses whose adapters a request may name. */
export const SERVING_ADAPTER_STATUSES: readonly AdapterStatus[] = ["approved", "deprecated"];

/** Models one adapter may apply to: a LoRA is trained for one architecture, rarely more than a few ids. */
export const MAX_ADAPTER_MODELS = 32;

export const adapterKindSchema = z.enum(ADAPTER_KINDS);

/** `POST /admin/adapters`: a LoRA or ControlNet model as an operator registers it. */
export const registerAdapterBodySchema = z.strictObject({
  kind: adapterKindSchema,
  name: adapterNameSchema,
  /** SHA-256 of the file (a LoRA) or the model digest of the folder (a ControlNet), as backends report it. */
  digest: digestSchema,
  /**
   * The model ids (`sd15`, `sdxl`, …) it was trained for: a request naming it on any other model is a
   * 400, since an SD 1.5 LoRA's tensors do not fit SDXL's UNet.
   */
  applies_to: z.array(modelIdSchema).min(1).max(MAX_ADAPTER_MODELS),
  description: z.string().trim().max(MAX_MODEL_DESCRIPTION_CHARS).default(""),
  /** Where the file came from (a Civitai or Hugging Face page, an internal bucket). */
  source_uri: z.string().trim().max(MAX_SOURCE_URI_CHARS).default(""),
});
export type RegisterAdapterBody = z.input<typeof registerAdapterBodySchema>;

/** Approving, rejecting, deprecating or removing an adapter: a comment the audit keeps. */
export const adapterDecisionBodySchema = z.strictObject({
  comment: z.string().trim().max(MAX_MODEL_DESCRIPTION_CHARS).default(""),
});
export type AdapterDecisionBody = z.input<typeof adapterDecisionBodySchema>;

/** An adapter as the admin API shows it, with who did what when. */
export const adapterRecordSchema = z.object({
  kind: adapterKindSchema,
  name: z.string(),
  digest: z.string(),
  applies_to: z.array(z.string()),
  description: z.string(),
  source_uri: z.string(),
  status: z.enum(ADAPTER_STATUSES),
  registered_by: z.string(),
  registered_at: z.string(),
  /** Who approved it (never `registered_by`); `null` until approved. */
  approved_by: z.string().nullable(),
  approved_at: z.string().nullable(),
  /** The last status change after registering (approval, rejection, deprecation, removal). */
  changed_by: z.string().nullable(),
  changed_at: z.string().nullable(),
  comment: z.string(),
});
export type AdapterRecord = z.infer<typeof adapterRecordSchema>;

export const adapterListQuerySchema = z.strictObject({
  kind: adapterKindSchema.optional(),
  status: z.enum(ADAPTER_STATUSES).optional(),
});

/**
 * An adapter as a caller sees it (`GET /v1/adapters`): enough for a Studio picker and for A1111's
 * `/sdapi/v1/loras` (`name`, `alias`) and ControlNet's `model_list` (`name [hash]`).
 */
export const adapterSchema = z.object({
  object: z.literal("adapter"),
  kind: adapterKindSchema,
  name: z.string(),
  /** What A1111 shows as the alias: the name (sdgate has one name per adapter). */
  alias: z.string(),
  digest: z.string(),
  description: z.string(),
  /** The model ids a request may apply it to. */
  applies_to: z.array(z.string()),
  /** Still served, but on its way out: pick another. */
  deprecated: z.boolean(),
});
export type Adapter = z.infer<typeof adapterSchema>;

export const adapterListSchema = z.object({ object: z.literal("list"), data: z.array(adapterSchema) });
export type AdapterList = z.infer<typeof adapterListSchema>;

export const publicAdapterQuerySchema = z.strictObject({
  kind: adapterKindSchema.optional(),
  /** Only those that apply to this model id (a reference such as `sd15@production` counts as `sd15`). */
  model: z.string().min(1).max(200).optional(),
});
