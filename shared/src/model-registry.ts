import { z } from "zod";
import type { Result } from "./generation-request.ts";

/**
 * The model registry's wire views (issue 16): models with immutable versions, aliases that point at
 * them, and the promotion requests whose approval is the only way an alias moves.
 */

/** A model's id, a slug such as `sd15` (the same rule as `SDGATE_MODELS` ids). */
export const MODEL_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** An alias's name (`production`, `staging`, `canary`, or any slug); never shaped like a version. */
export const ALIAS_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** A version label: `v` and its number, assigned in order from 1, without leading zeros. */
export const VERSION_PATTERN = /^v[1-9][0-9]{0,8}$/;
/** SHA-256 of a version's files, lowercase hex. */
export const DIGEST_PATTERN = /^[0-9a-f]{64}$/;
/** A promotion request's id (`prm_0f1e2d3c4b5a6978`). */
export const PROMOTION_ID_PATTERN = /^prm_[0-9a-f]{16}$/;

export const WELL_KNOWN_ALIASES = ["production", "staging", "canary"] as const;

export const MAX_MODEL_DESCRIPTION_CHARS = 500;
/** A model card is markdown that people read, not a place for files. */
export const MAX_MODEL_CARD_CHARS = 32_768;
export const MAX_SOURCE_URI_CHARS = 1_024;
export const MAX_LORAS = 16;
export const MAX_BUILD_OPTIONS = 32;
export const MAX_COMMENT_CHARS = 2_000;
export const MAX_EVIDENCE = 20;
/** The longest `model@alias` or `model@vN`: a longer reference is refused before any pattern runs. */
export const MAX_MODEL_REF_CHARS = 64 + 1 + 32;

/** `3` → `v3`. */
export const versionLabel = (version: number) => `v${version}`;

/** `v3` → `3`; `null` for anything that is not a version label. */
export function versionNumber(label: string): number | null {
  return VERSION_PATTERN.test(label) ? Number(label.slice(1)) : null;
}

const isVersionShaped = (name: string) => /^v[0-9]+$/.test(name);

export const modelIdSchema = z
  .string()
  .regex(MODEL_ID_PATTERN, "must be a model id: lowercase letters, digits, '.', '_' or '-' (at most 64)");
export const aliasNameSchema = z
  .string()
  .regex(ALIAS_NAME_PATTERN, "must be an alias: a lowercase letter, then letters, digits or '-' (at most 32)")
  .refine((name) => !isVersionShaped(name), "must not look like a version (v1, v2, …)");
export const versionLabelSchema = z.string().regex(VERSION_PATTERN, "must be a version such as v3");
export const digestSchema = z.string().regex(DIGEST_PATTERN, "must be a SHA-256 digest in lowercase hex");
const uri = z.string().min(1).max(MAX_SOURCE_URI_CHARS);

export const modelRecordSchema = z.object({
  id: z.string(),
  description: z.string(),
  created_at: z.string(),
  created_by: z.string(),
});
export type ModelRecord = z.infer<typeof modelRecordSchema>;

export const loraSchema = z.object({ uri, scale: z.number().min(-10).max(10) });
export type Lora = z.infer<typeof loraSchema>;

/** Options for the model builder that turns a checkpoint into an export (precision, VAE, …). */
export const buildOptionsSchema = z
  .record(z.string().max(64), z.union([z.string().max(1_024), z.number(), z.boolean()]))
  .refine(
    (options) => Object.keys(options).length <= MAX_BUILD_OPTIONS,
    `must have at most ${MAX_BUILD_OPTIONS} options`,
  );

/** Where a version's files came from: an export folder, or a single-file checkpoint with LoRAs. */
export const modelSourceSchema = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("export"), path: uri }),
  z.strictObject({
    kind: z.literal("checkpoint"),
    uri,
    loras: z.array(loraSchema).max(MAX_LORAS).optional(),
    build_options: buildOptionsSchema.optional(),
  }),
]);
export type ModelSource = z.infer<typeof modelSourceSchema>;

/** A licence id such as `CreativeML-OpenRAIL-M` or an SPDX id. */
export const licenceIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.+-]{0,63}$/, "must be a licence id such as CreativeML-OpenRAIL-M");

/** A licence and who accepted its terms for the platform, and when. */
export const licenceSchema = z.object({ id: z.string(), accepted_by: z.string(), accepted_at: z.string() });
export type Licence = z.infer<typeof licenceSchema>;

/** A version as registered; it never changes afterwards. */
export const modelVersionSchema = z.object({
  model_id: z.string(),
  version: z.string(),
  digest: z.string(),
  source: modelSourceSchema,
  engine_version: z.string(),
  licence: licenceSchema,
  card: z.string(),
  registered_by: z.string(),
  registered_at: z.string(),
});
export type ModelVersion = z.infer<typeof modelVersionSchema>;

/** An alias and the version it points at; `revision` is the base a move must name (a stale one is 409). */
export const aliasSchema = z.object({
  model_id: z.string(),
  name: z.string(),
  version: z.string(),
  revision: z.number().int(),
  updated_at: z.string(),
  updated_by: z.string(),
  /** The approved promotion request that put it there; `null` only for a model's bootstrap. */
  promotion_id: z.string().nullable(),
});
export type Alias = z.infer<typeof aliasSchema>;

export const EVIDENCE_KINDS = ["experiment", "evaluation", "link"] as const;
/** Why a version deserves the alias: an experiment run, an evaluation run (by id) or any link. */
export const evidenceSchema = z.strictObject({
  kind: z.enum(EVIDENCE_KINDS),
  /** A URL for `link`; a run's id or URL otherwise. */
  ref: z.string().min(1).max(MAX_SOURCE_URI_CHARS),
  note: z.string().max(MAX_COMMENT_CHARS).default(""),
});
export type Evidence = z.output<typeof evidenceSchema>;

export const PROMOTION_STATUSES = ["pending", "approved", "rejected", "superseded"] as const;
export type PromotionStatus = (typeof PROMOTION_STATUSES)[number];

export const promotionRequestSchema = z.object({
  id: z.string(),
  model_id: z.string(),
  alias: z.string(),
  /** What the alias pointed at when this was requested; `null`: it did not exist yet. */
  from_version: z.string().nullable(),
  to_version: z.string(),
  requested_by: z.string(),
  requested_at: z.string(),
  comment: z.string(),
  evidence: z.array(evidenceSchema),
  status: z.enum(PROMOTION_STATUSES),
  decided_by: z.string().nullable(),
  decided_at: z.string().nullable(),
  decision_comment: z.string().nullable(),
});
export type PromotionRequest = z.infer<typeof promotionRequestSchema>;

/** One move of an alias, as the history keeps it (never rewritten: a rollback is one more move). */
export const aliasMoveSchema = z.object({
  model_id: z.string(),
  name: z.string(),
  from_version: z.string().nullable(),
  to_version: z.string(),
  /** The alias's revision after the move. */
  revision: z.number().int(),
  moved_at: z.string(),
  moved_by: z.string(),
  promotion_id: z.string().nullable(),
  reason: z.enum(["bootstrap", "promotion", "rollback"]),
});
export type AliasMove = z.infer<typeof aliasMoveSchema>;

/** Registering a model (its versions come after). */
export const createModelBodySchema = z.strictObject({
  id: modelIdSchema,
  description: z.string().trim().max(MAX_MODEL_DESCRIPTION_CHARS).default(""),
});
export type CreateModelBody = z.input<typeof createModelBodySchema>;

/** Registering a version: its number is the registry's to assign; the licence must be accepted. */
export const registerVersionBodySchema = z.strictObject({
  digest: digestSchema,
  source: modelSourceSchema,
  engine_version: z.string().min(1).max(64),
  licence: z.strictObject({ id: licenceIdSchema, accepted: z.boolean() }),
  card: z.string().max(MAX_MODEL_CARD_CHARS).default(""),
});
export type RegisterVersionBody = z.input<typeof registerVersionBodySchema>;

/** Asking for `alias` to point at `to_version` (a rollback names an earlier version). */
export const promotionBodySchema = z.strictObject({
  alias: aliasNameSchema,
  to_version: versionLabelSchema,
  comment: z.string().max(MAX_COMMENT_CHARS).default(""),
  evidence: z.array(evidenceSchema).max(MAX_EVIDENCE).default([]),
});
export type PromotionBody = z.input<typeof promotionBodySchema>;

/** Approving or rejecting; `expected_revision` is the alias revision the approver saw (0: no alias yet). */
export const promotionDecisionBodySchema = z.strictObject({
  comment: z.string().max(MAX_COMMENT_CHARS).default(""),
  expected_revision: z.number().int().min(0).optional(),
});
export type PromotionDecisionBody = z.input<typeof promotionDecisionBodySchema>;

/** What a request or a key names: a model (its `production` alias), an alias, or a pinned version. */
export type ModelRef = { model: string; alias: string } | { model: string; version: string };

export type ModelRefProblem = { code: "invalid_model_ref"; message: string };

/**
 * Reads `sd15`, `sd15@staging` or `sd15@v3`. A bare model means its `production` alias. Linear in the
 * input, which is refused past {@link MAX_MODEL_REF_CHARS} before any pattern runs.
 *
 * @example
 * parseModelRef("sd15@v3"); // { ok: true, value: { model: "sd15", version: "v3" } }
 */
export function parseModelRef(ref: string): Result<ModelRef, ModelRefProblem> {
  const fail = (message: string) => ({
    ok: false as const,
    error: { code: "invalid_model_ref" as const, message },
  });
  if (ref.length === 0) return fail("A model reference must not be empty.");
  if (ref.length > MAX_MODEL_REF_CHARS)
    return fail(`A model reference must be at most ${MAX_MODEL_REF_CHARS} characters (got ${ref.length}).`);
  const at = ref.indexOf("@");
  const model = at === -1 ? ref : ref.slice(0, at);
  if (!MODEL_ID_PATTERN.test(model))
    return fail(`'${model}' is not a model id: lowercase letters, digits, '.', '_' or '-' (at most 64).`);
  if (at === -1) return { ok: true, value: { model, alias: "production" } };
  const target = ref.slice(at + 1);
  if (VERSION_PATTERN.test(target)) return { ok: true, value: { model, version: target } };
  if (isVersionShaped(target))
    return fail(`'${target}' is not a version: versions are v1, v2, … (at most 9 digits, no leading zeros).`);
  if (!ALIAS_NAME_PATTERN.test(target))
    return fail(
      `'${target}' after '@' is neither a version (v3) nor an alias (a lowercase slug, at most 32).`,
    );
  return { ok: true, value: { model, alias: target } };
}

/** A reference as people write it: `sd15@v3`, `sd15@staging`. */
export const formatModelRef = (ref: ModelRef) =>
  "version" in ref ? `${ref.model}@${ref.version}` : `${ref.model}@${ref.alias}`;

/**
 * Whether a list of grants (a key's `models`, a team's granted models) covers a served reference:
 * a grant names a whole model (`sd15`: each alias and version of it) or exactly one alias or pinned
 * version (`sd15@production`, `sd15@v3`). `ref` is what the request served (`sd15@production` for
 * a bare `sd15`), or a bare id where the edge serves its static catalog.
 *
 * @example
 * grantCovers(["sd15@production"], "sd15@production"); // true
 * grantCovers(["sd15@production"], "sd15@v4"); // false: a pin is not the alias
 */
export function grantCovers(grants: readonly string[], ref: string): boolean {
  const at = ref.indexOf("@");
  return grants.includes(ref) || (at !== -1 && grants.includes(ref.slice(0, at)));
}
