import type { BackendStatusBody } from "@sdgate/shared";

/**
 * What one backend holds, as its signed status said: model id → files digest, and each adapter under
 * `adapter:<digest>` (→ `kind/name`), a key no model id can be (ids have no ':'). One map per backend
 * keeps a single record that the health object stores, syncs and refreshes.
 */
export type Held = Record<string, string>;

const ADAPTER_PREFIX = "adapter:";

/** Where an adapter with `digest` sits in a backend's {@link Held}. */
export const heldAdapterKey = (digest: string) => `${ADAPTER_PREFIX}${digest}`;

/** A backend's status as a {@link Held} map: its model versions and its adapters. */
export function heldOf(status: Pick<BackendStatusBody, "versions" | "adapters">): Held {
  const adapters = (status.adapters ?? []).map(
    (adapter) => [heldAdapterKey(adapter.digest), `${adapter.kind}/${adapter.name}`] as const,
  );
  return { ...status.versions, ...Object.fromEntries(adapters) };
}

/** Only the model versions of a {@link Held} map (for the fleet report's `versions`). */
export function heldVersionsOnly(held: Held): Held {
  return Object.fromEntries(Object.entries(held).filter(([key]) => !key.startsWith(ADAPTER_PREFIX)));
}
