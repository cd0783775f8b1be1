import {
  type AdapterCatalog,
  type AdapterKind,
  type GenerationRequest,
  lorasInPrompt,
  SERVING_ADAPTER_STATUSES,
} from "@sdgate/shared";

/** An adapter a request may name: approved (or deprecated, still serving). */
export interface ServingAdapter {
  kind: AdapterKind;
  name: string;
  digest: string;
  applies_to: readonly string[];
  description: string;
  deprecated: boolean;
}

/** How long an isolate trusts its copy: as long as it trusts an alias it resolved (`RESOLUTION_TTL_MS`). */
export const ADAPTERS_TTL_MS = 5_000;

interface Cached {
  adapters: readonly ServingAdapter[];
  untilMs: number;
}

// Per D1 binding, as the model resolutions are, so test workers with their own D1 share nothing.
const cached = new WeakMap<D1Database, Cached>();

interface ServingRow {
  kind: AdapterKind;
  name: string;
  digest: string;
  applies_to: string;
  description: string;
  status: string;
}

/**
 * The adapters requests may name, read from D1 at most once per {@link ADAPTERS_TTL_MS} per
 * isolate (as model aliases are): an approval serves everywhere within that, and so does a removal.
 *
 * @example
 * const catalog = catalogFor(await servingAdapters(env.DB), "sd15");
 */
export async function servingAdapters(
  db: D1Database,
  nowMs: number = Date.now(),
): Promise<readonly ServingAdapter[]> {
  const known = cached.get(db);
  if (known !== undefined && known.untilMs > nowMs) return known.adapters;
  const { results } = await db
    .prepare(
      `SELECT kind, name, digest, applies_to, description, status FROM adapters
       WHERE status IN (SELECT value FROM json_each(?)) ORDER BY kind, name`,
    )
    .bind(JSON.stringify(SERVING_ADAPTER_STATUSES))
    .all<ServingRow>();
  const adapters = results.map((row) => ({
    kind: row.kind,
    name: row.name,
    digest: row.digest,
    applies_to: JSON.parse(row.applies_to) as string[],
    description: row.description,
    deprecated: row.status === "deprecated",
  }));
  cached.set(db, { adapters, untilMs: nowMs + ADAPTERS_TTL_MS });
  return adapters;
}

/** Drops this isolate's copy (after this isolate changed the registry), so its next read is D1's. */
export function forgetServingAdapters(db: D1Database): void {
  cached.delete(db);
}

/** Whether `adapter` may be applied to the model a request's `model` names (`sd15@production` is `sd15`). */
export function appliesTo(adapter: Pick<ServingAdapter, "applies_to">, modelId: string): boolean {
  return adapter.applies_to.includes(modelId);
}

/** What a request on `modelId` may name: the serving adapters that apply to it, name → digest. */
export function catalogFor(adapters: readonly ServingAdapter[], modelId: string): AdapterCatalog {
  const of = (kind: AdapterKind) =>
    new Map(
      adapters
        .filter((adapter) => adapter.kind === kind && appliesTo(adapter, modelId))
        .map((adapter) => [adapter.name, adapter.digest] as const),
    );
  return { loras: of("lora"), controlnets: of("controlnet") };
}

/**
 * The first adapter a request names that is registered and approved but not for its model (an SD 1.5
 * LoRA on SDXL), as the field at fault and a message saying which models it is for; `null` when none.
 * Names not registered at all are left to the contract's resolution, which says so.
 */
export function wrongModelAdapter(
  request: Pick<GenerationRequest, "lora" | "prompt" | "controlnet">,
  adapters: readonly ServingAdapter[],
  modelId: string,
): { param: string; message: string } | null {
  const tags = lorasInPrompt(request.prompt);
  const named: { kind: AdapterKind; name: string; param: string }[] = [
    ...(request.lora ?? []).map((lora, i) => ({
      kind: "lora" as const,
      name: lora.name,
      param: `lora.${i}.name`,
    })),
    ...(tags.ok ? tags.value : []).map((lora) => ({
      kind: "lora" as const,
      name: lora.name,
      param: "prompt",
    })),
    ...(request.controlnet ?? []).map((unit, i) => ({
      kind: "controlnet" as const,
      name: unit.model,
      param: `controlnet.${i}.model`,
    })),
  ];
  for (const { kind, name, param } of named) {
    const adapter = adapters.find((candidate) => candidate.kind === kind && candidate.name === name);
    if (adapter === undefined || appliesTo(adapter, modelId)) continue;
    const what = kind === "lora" ? "LoRA" : "ControlNet model";
    return {
      param,
      message: `Invalid '${param}': the ${what} '${name}' is for ${adapter.applies_to.join(", ")}, not '${modelId}'.`,
    };
  }
  return null;
}
