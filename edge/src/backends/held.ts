import {
  ADAPTER_KINDS,
  type AdapterKind,
  type BackendAdapter,
  type BackendStatusBody,
  MODEL_ARCHITECTURES,
  type ModelArchitecture,
} from "@sdgate/shared";

/**
 * What one backend holds, as its signed status said: model id → files digest, each adapter under
 * `adapter:<digest>` (→ `kind/name`), and each model's architecture under `architecture:<id>`: keys
 * no model id can be (ids have no ':'). One map per backend keeps a single record that the health
 * object stores, syncs and refreshes.
 */
export type Held = Record<string, string>;

const ADAPTER_PREFIX = "adapter:";
const ARCHITECTURE_PREFIX = "architecture:";

/** Where an adapter with `digest` sits in a backend's {@link Held}. */
export const heldAdapterKey = (digest: string) => `${ADAPTER_PREFIX}${digest}`;

/** Where the architecture of `model` sits in a backend's {@link Held}. */
export const heldArchitectureKey = (model: string) => `${ARCHITECTURE_PREFIX}${model}`;

/** A backend's status as a {@link Held} map: its model versions, its adapters and its models' architectures. */
export function heldOf(status: Pick<BackendStatusBody, "versions" | "adapters" | "architectures">): Held {
  const adapters = (status.adapters ?? []).map(
    (adapter) => [heldAdapterKey(adapter.digest), `${adapter.kind}/${adapter.name}`] as const,
  );
  const architectures = Object.entries(status.architectures ?? {}).map(
    ([model, architecture]) => [heldArchitectureKey(model), architecture] as const,
  );
  return { ...status.versions, ...Object.fromEntries(adapters), ...Object.fromEntries(architectures) };
}

/** Only the model versions of a {@link Held} map (for the fleet report's `versions`). */
export function heldVersionsOnly(held: Held): Held {
  return Object.fromEntries(Object.entries(held).filter(([key]) => !key.includes(":")));
}

/** A {@link Held} map without its adapters (a backend refused one it was thought to hold). */
export function heldWithoutAdapters(held: Held): Held {
  return Object.fromEntries(Object.entries(held).filter(([key]) => !key.startsWith(ADAPTER_PREFIX)));
}

/** The architecture a backend reported for `model`; `null` when it said none this edge knows. */
export function heldArchitecture(held: Held | undefined, model: string): ModelArchitecture | null {
  const reported = held?.[heldArchitectureKey(model)];
  return (MODEL_ARCHITECTURES as readonly string[]).includes(reported ?? "")
    ? (reported as ModelArchitecture)
    : null;
}

/** Each model's architecture in a {@link Held} map, by model id (for the fleet report). */
export function heldArchitectures(held: Held): Record<string, ModelArchitecture> {
  return Object.fromEntries(
    Object.keys(held).flatMap((key) => {
      if (!key.startsWith(ARCHITECTURE_PREFIX)) return [];
      const model = key.slice(ARCHITECTURE_PREFIX.length);
      const architecture = heldArchitecture(held, model);
      return architecture === null ? [] : [[model, architecture] as const];
    }),
  );
}

/** The adapters of a {@link Held} map, as the backend reported them (for the fleet report). */
export function heldAdapters(held: Held): BackendAdapter[] {
  return Object.entries(held).flatMap(([key, label]) => {
    if (!key.startsWith(ADAPTER_PREFIX)) return [];
    const slash = label.indexOf("/");
    const kind = label.slice(0, slash);
    if (!(ADAPTER_KINDS as readonly string[]).includes(kind)) return [];
    return [
      { kind: kind as AdapterKind, name: label.slice(slash + 1), digest: key.slice(ADAPTER_PREFIX.length) },
    ];
  });
}
