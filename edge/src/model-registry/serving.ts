import {
  DEFAULT_MODEL_ID,
  formatModelRef,
  type GenerationRequest,
  isSdgateError,
  type ModelInfo,
  type ModelRef,
  modelInfoSchema,
  type PromptPolicy,
  parseModelRef,
  type ResolvedGenerationRequest,
  resolveGenerationRequest,
  type SafetySetting,
  SdgateError,
} from "@sdgate/shared";
import { catalogFor, type ServingAdapter, servingAdapters, wrongModelAdapter } from "../adapters/catalog.ts";
import { type ActiveSplit, activeSplit, type SplitDraw } from "../canary/active-split.ts";
import { findModel, modelFor } from "../models.ts";
import { policyFromRow } from "../policies/row.ts";
import { type Resolved, resolveRef } from "./aliases.ts";
import { effectiveModelInfo, type FleetReports, REPORTS_MAX_AGE_MS } from "./model-architecture.ts";

/**
 * How the edge decides which model files serve a request (`SDGATE_MODEL_GOVERNANCE`):
 * - `registry` (the default): every request resolves through the model registry: a bare model is its
 *   `production` alias, `sd15@staging` an alias, `sd15@v3` a pinned version; a model without such a
 *   version does not serve. Only versions that an approved promotion put behind an alias (or that a
 *   caller pins, and its key and team allow) ever run.
 * - `catalog`: the static list (`SDGATE_MODELS` and `tiny`) as before the registry, with no versions:
 *   for development and for the edge's routing tests, never for production.
 */
export const GOVERNANCE_MODES = ["registry", "catalog"] as const;
export type Governance = (typeof GOVERNANCE_MODES)[number];

/**
 * What serving a model reads: the governance mode, the catalog, the registry's database, and the
 * fleet whose backends report the architecture of models the catalog does not declare.
 */
export type ServingConfig = {
  governance: Governance;
  models: readonly ModelInfo[];
  db: D1Database;
} & FleetReports;

/** What a request's `model` serves. */
export interface ServingModel {
  /**
   * Architecture, defaults and limits: the catalog's entry for the model's id, else SD 1.5's; an
   * architecture the entry leaves out is the backends' report (`effectiveModelInfo`).
   */
  info: ModelInfo;
  /**
   * What a key's and a team's grants are checked against: `sd15@production`, `sd15@v3`, or (catalog
   * mode) the bare id.
   */
  ref: string;
  /** The registry version that runs; absent in catalog mode. */
  version?: { version: string; digest: string };
  /** The alias the request named (a bare model names `production`); `null` for a pin or catalog mode. */
  alias: string | null;
  /** Until when this answer holds (a resolution read from the registry may move); `null`: always. */
  untilMs: number | null;
  /** The alias's prompt policy (else the model's default `*`); `null`: none. */
  policy: PromptPolicy | null;
  /** The output safety check the alias's policy asks for; `off` without one. */
  safety: SafetySetting;
  /** The alias's canary split, and which side this request drew; `null`: no split. */
  split: SplitDraw | null;
  /** The approved LoRAs and ControlNet models (of every model: resolution picks this one's); absent: none. */
  adapters?: readonly ServingAdapter[];
}

/** The alias name of a model's default policy: it binds pins and aliases without a policy of their own. */
export const MODEL_DEFAULT_POLICY = "*";

/** How long an isolate trusts an alias it resolved: an approved move serves everywhere within it. */
export const RESOLUTION_TTL_MS = 5_000;
const MAX_ENTRIES = 2_000;

interface AliasPolicy {
  policy: PromptPolicy | null;
  safety: SafetySetting;
}

type Lookup =
  | { found: Resolved; rules: AliasPolicy; split: ActiveSplit | null; untilMs: number }
  | { found: null; untilMs: number };

// Per D1 binding, as the policy cache is, so test workers with their own D1 share nothing.
const resolutions = new WeakMap<D1Database, Map<string, Lookup>>();

function cacheOf(db: D1Database): Map<string, Lookup> {
  let cache = resolutions.get(db);
  if (!cache) {
    cache = new Map();
    resolutions.set(db, cache);
  }
  return cache;
}

/** Drops this isolate's resolutions of one model (after this isolate moved one of its aliases). */
export function forgetResolutions(db: D1Database, modelId: string): void {
  const cache = resolutions.get(db);
  if (!cache) return;
  for (const key of cache.keys()) if (key === modelId || key.startsWith(`${modelId}@`)) cache.delete(key);
}

async function lookup(db: D1Database, ref: ModelRef, nowMs: number): Promise<Lookup> {
  const cache = cacheOf(db);
  const key = formatModelRef(ref);
  const known = cache.get(key);
  if (known !== undefined && known.untilMs > nowMs) return known;
  const [resolved, rules, split] = await Promise.all([
    resolveRef(db, ref),
    aliasPolicy(db, ref),
    activeSplit(db, ref),
  ]);
  const untilMs = nowMs + RESOLUTION_TTL_MS;
  const entry: Lookup = resolved.ok
    ? { found: resolved.value, rules, split, untilMs }
    : { found: null, untilMs };
  cache.delete(key);
  cache.set(key, entry);
  if (cache.size > MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  return entry;
}

interface AliasPolicyRow {
  id: string;
  alias: string;
  rules: string;
  record_prompt: number;
  safety_check: SafetySetting | null;
}

/** The policy of the alias a reference names, else the model's default (`*`), which also binds pins. */
async function aliasPolicy(db: D1Database, ref: ModelRef): Promise<AliasPolicy> {
  const alias = "alias" in ref ? ref.alias : MODEL_DEFAULT_POLICY;
  const row = await db
    .prepare(
      `SELECT id, alias, rules, record_prompt, safety_check FROM prompt_policies
       WHERE model_id = ? AND alias IN (?, ?) ORDER BY alias = ? LIMIT 1`,
    )
    .bind(ref.model, alias, MODEL_DEFAULT_POLICY, MODEL_DEFAULT_POLICY)
    .first<AliasPolicyRow>();
  if (row === null) return { policy: null, safety: "off" };
  const scope = { model: ref.model, alias: row.alias };
  return { policy: policyFromRow({ ...row, team_id: null }, scope), safety: row.safety_check ?? "off" };
}

/** Which side of the alias's split a request takes: the canary's version `weight` percent of the time. */
function drawSide(split: ActiveSplit | null, stable: string, random: () => number): SplitDraw | null {
  // A canary alias moved onto the stable version (promoted, or rolled back by hand) splits nothing.
  if (split === null || split.canary.version === stable) return null;
  const side = random() * 100 < split.weight ? "canary" : "stable";
  return { split, stable, side, version: side === "canary" ? split.canary.version : stable };
}

/**
 * The catalog's entry for a registry model, or SD 1.5's defaults and limits when the catalog has
 * none (its architecture then left to the backends, as any undeclared one).
 */
function infoOf(catalog: readonly ModelInfo[], id: string): ModelInfo {
  return findModel(catalog, id) ?? modelInfoSchema.parse({ id });
}

function notRegistered(ref: ModelRef, requested: string): SdgateError {
  const message =
    requested.includes("@") || !("alias" in ref)
      ? `The model reference '${requested}' does not exist in the model registry.`
      : `The model '${ref.model}' has no '${ref.alias}' version in the model registry.`;
  return new SdgateError("model_not_found", message, { param: "model" });
}

/**
 * What a request's `model` (absent: the default model) serves, in the edge's governance mode. An
 * unknown model, alias or version is 404 `model_not_found` naming it; a malformed reference 400.
 * Registry answers are cached per isolate for {@link RESOLUTION_TTL_MS}.
 *
 * @example
 * const model = await servingModel(config, request.model);
 * const resolved = resolveGenerationRequest(request, model.info, seed);
 */
export async function servingModel(
  config: ServingConfig,
  requested: string | undefined,
  nowMs: number = Date.now(),
  random: () => number = Math.random,
): Promise<ServingModel> {
  const text = requested ?? DEFAULT_MODEL_ID;
  const adapters = await servingAdapters(config.db, nowMs);
  if (config.governance === "catalog") {
    if (text.includes("@"))
      throw new SdgateError(
        "invalid_request",
        `Model references such as '${text}' need the model registry; this server serves its static catalog (SDGATE_MODEL_GOVERNANCE=catalog).`,
        { param: "model" },
      );
    const info = modelFor(config.models, text);
    return {
      info: await effectiveModelInfo(config, info, nowMs),
      ref: text,
      alias: null,
      // An architecture the backends report may change with what they serve: look again soon.
      untilMs: info.detect === undefined ? null : nowMs + REPORTS_MAX_AGE_MS,
      policy: null,
      safety: "off",
      split: null,
      adapters,
    };
  }
  const parsed = parseModelRef(text);
  if (!parsed.ok) throw new SdgateError("invalid_request", parsed.error.message, { param: "model" });
  const ref = parsed.value;
  const lookedUp = await lookup(config.db, ref, nowMs);
  if (lookedUp.found === null) throw notRegistered(ref, text);
  const { found, split, untilMs } = lookedUp;
  const stable = { version: found.version.version, digest: found.version.digest };
  const draw = drawSide(split, stable.version, random);
  return {
    info: await effectiveModelInfo(config, infoOf(config.models, ref.model), nowMs),
    ref: formatModelRef(ref),
    version: draw?.side === "canary" ? draw.split.canary : stable,
    alias: "alias" in ref ? ref.alias : null,
    // A split's draw is this request's own: never remembered for the next one with the same body.
    untilMs: draw === null ? untilMs : nowMs,
    ...lookedUp.rules,
    split: draw,
    adapters,
  };
}

/**
 * What a request's `refiner.model` serves, resolved as `model` is (catalog ids; on a registry edge
 * its aliases, pins and versions), its refusals naming `refiner.model`; `null` without a refiner. The
 * refiner runs its alias's stable version: a canary split is drawn, and its outcome reported, for
 * the request's `model` only.
 *
 * @example
 * const refiner = await servingRefiner(config, request);
 */
export async function servingRefiner(
  config: ServingConfig,
  request: Pick<GenerationRequest, "refiner">,
  nowMs: number = Date.now(),
): Promise<ServingModel | null> {
  const requested = request.refiner?.model;
  if (requested === undefined) return null;
  try {
    return await servingModel(config, requested, nowMs, () => 1);
  } catch (error) {
    if (!isSdgateError(error) || error.param !== "model") throw error;
    throw new SdgateError(error.code, `refiner.model: ${error.message}`, { param: "refiner.model" });
  }
}

/**
 * A request with its model's defaults applied and checked against its limits (400 naming the
 * field), its seed fixed, its LoRAs and ControlNet models resolved to the approved files for its
 * model (an adapter registered for another model is a 400 saying which it is for), and the registry
 * version it serves recorded in it: the digests of the version and the adapters are then part of
 * the canonical request, so its cache key and audit hash.
 *
 * @example
 * const resolved = resolveServed(request, await servingModel(config, request.model), seed);
 */
export function resolveServed(
  request: GenerationRequest,
  served: ServingModel,
  seed: number,
  refiner: ServingModel | null = null,
): ResolvedGenerationRequest {
  const adapters = served.adapters ?? [];
  const wrongModel = wrongModelAdapter(request, adapters, served.info.id);
  if (wrongModel !== null)
    throw new SdgateError("invalid_request", wrongModel.message, { param: wrongModel.param });
  const resolved = resolveGenerationRequest(
    request,
    served.info,
    seed,
    catalogFor(adapters, served.info.id),
    refiner?.info ?? null,
  );
  if (!resolved.ok)
    throw new SdgateError("invalid_request", resolved.error.message, { param: resolved.error.param });
  const resolvedRefiner = resolved.value.refiner;
  return {
    ...resolved.value,
    // the refiner's registry version, whose digest (in the canonical request) routes and caches it
    ...(resolvedRefiner === undefined || refiner?.version === undefined
      ? {}
      : { refiner: { ...resolvedRefiner, model_version: refiner.version } }),
    ...(served.version === undefined ? {} : { model_version: served.version }),
    ...(served.safety === "off" ? {} : { safety_check: served.safety }),
  };
}
