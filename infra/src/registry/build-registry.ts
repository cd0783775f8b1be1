import {
  type Backend,
  type Registry,
  type RegistryDocument,
  type RegistrySettings,
  registrySchema,
} from "@sdgate/shared";

/**
 * The edge's backend registry: pools ordered by priority, then provider, region and name, so the
 * same stack always writes the same document (and a diff shows only what changed).
 */
export function buildRegistry(settings: RegistrySettings, pools: readonly Backend[]): RegistryDocument {
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

/**
 * A registry read back (from the stack's outputs or a saved file), checked by the schema the edge
 * parses SDGATE_BACKENDS with, so what infra hands the edge is what the edge accepts.
 */
export function registryProblems(
  value: unknown,
): { ok: true; value: Registry } | { ok: false; problems: string } {
  const result = registrySchema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return {
    ok: false,
    problems: result.error.issues
      .map((issue) => `SDGATE_BACKENDS.${issue.path.join(".")}: ${issue.message}`)
      .join("\n"),
  };
}
