/**
 * The edge's own registry schema (edge/src/backends/registry.ts), loaded at run time so that what
 * infra writes is checked by exactly the code that will read it. Loaded by URL rather than imported:
 * the edge is compiled for Workers, a different TypeScript project than this one.
 */
export interface EdgeRegistrySchema {
  safeParse(
    value: unknown,
  ):
    | { success: true; data: { pools: readonly { name: string; url: string }[] } }
    | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } };
}

const EDGE_REGISTRY_MODULE = new URL("../../../edge/src/backends/registry.ts", import.meta.url);

export async function loadEdgeRegistrySchema(): Promise<EdgeRegistrySchema> {
  const module = (await import(EDGE_REGISTRY_MODULE.href)) as { registrySchema: EdgeRegistrySchema };
  return module.registrySchema;
}

/** `null` when the edge accepts the registry; otherwise its complaints, one per line. */
export async function edgeRegistryProblems(registry: unknown): Promise<string | null> {
  const result = (await loadEdgeRegistrySchema()).safeParse(registry);
  if (result.success) return null;
  return result.error.issues
    .map((issue) => `SDGATE_BACKENDS.${issue.path.join(".")}: ${issue.message}`)
    .join("\n");
}
