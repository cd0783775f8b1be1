/**
 * Finds the registry in what `pulumi stack output --json` prints (`{ edgeRegistry, clusters }`), or
 * accepts a registry document on its own.
 */
export function registryFromStackOutputs(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error("the stack outputs are not JSON (expected `pulumi stack output --json`)");
  }
  if (typeof parsed === "object" && parsed !== null && "edgeRegistry" in parsed) return parsed.edgeRegistry;
  if (typeof parsed === "object" && parsed !== null && "pools" in parsed) return parsed;
  throw new Error("the stack outputs have no `edgeRegistry` (is this sdgate's stack, after `pulumi up`?)");
}

/**
 * The edge deployment, as argument lists: D1 migrations first (a Worker that reads a column its
 * database lacks fails every request), then the Worker with this registry as SDGATE_BACKENDS.
 */
export function edgeDeployCommands(environment: string, registry: unknown): string[][] {
  const env = ["--env", environment];
  return [
    ["npx", "wrangler", "d1", "migrations", "apply", "DB", "--remote", ...env],
    ["npx", "wrangler", "deploy", ...env, "--var", `SDGATE_BACKENDS:${JSON.stringify(registry)}`],
  ];
}
