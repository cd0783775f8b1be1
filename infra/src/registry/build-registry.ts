import type { RegistrySettings } from "../config/schema.ts";

/** One pool as the edge's registry lists it (edge/src/backends/registry.ts `backendSchema`). */
export interface Pool {
  name: string;
  url: string;
  provider: string;
  region: string;
  priority: number;
  weight?: number;
  near?: string[];
}

/** The object form of SDGATE_BACKENDS: the registry-wide settings and the pools. */
export type RegistryDocument = RegistrySettings & { pools: Pool[] };

/**
 * The edge's backend registry: pools ordered by priority, then provider, region and name, so the
 * same stack always writes the same document (and a diff shows only what changed).
 */
export function buildRegistry(settings: RegistrySettings, pools: readonly Pool[]): RegistryDocument {
  const sorted = [...pools].sort(
    (a, b) =>
      a.priority - b.priority ||
      a.provider.localeCompare(b.provider) ||
      a.region.localeCompare(b.region) ||
      a.name.localeCompare(b.name),
  );
  // Settings first, pools last: the order a person reads the file in.
  const document = {} as RegistryDocument;
  for (const key of ["fleet", "engine_version", "models", "retry", "breaker"] as const) {
    if (settings[key] !== undefined) Object.assign(document, { [key]: settings[key] });
  }
  document.pools = sorted;
  return document;
}
