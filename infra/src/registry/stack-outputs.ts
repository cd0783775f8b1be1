import type { EdgeRetention } from "./edge-retention.ts";

function parseOutputs(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error("the stack outputs are not JSON (expected `pulumi stack output --json`)");
  }
}

/**
 * Finds the registry in what `pulumi stack output --json` prints (`{ edgeRegistry, clusters }`), or
 * accepts a registry document on its own.
 */
export function registryFromStackOutputs(text: string): unknown {
  const parsed = parseOutputs(text);
  if (typeof parsed === "object" && parsed !== null && "edgeRegistry" in parsed) return parsed.edgeRegistry;
  if (typeof parsed === "object" && parsed !== null && "pools" in parsed) return parsed;
  throw new Error("the stack outputs have no `edgeRegistry` (is this sdgate's stack, after `pulumi up`?)");
}

/** The stack's `edgeRetention` output; `null` for a stack deployed before it had one. */
export function retentionFromStackOutputs(text: string): EdgeRetention | null {
  const parsed = parseOutputs(text);
  if (typeof parsed === "object" && parsed !== null && "edgeRetention" in parsed)
    return parsed.edgeRetention as EdgeRetention;
  return null;
}

/** Where the edge's retention goes: the vars, and the lifecycle file written for `bucket`. */
export interface RetentionDeployment {
  vars: EdgeRetention["vars"];
  /** The environment's `IMAGES` bucket (wrangler.toml). */
  bucket: string;
  /** A file holding `EdgeRetention.r2Lifecycle`. */
  lifecycleFile: string;
}

/**
 * The edge deployment, as argument lists: D1 migrations first (a Worker that reads a column its
 * database lacks fails every request), then the `IMAGES` bucket's lifecycle (so R2 expires what the
 * new Worker's index will forget), then the Worker with this registry as SDGATE_BACKENDS and the
 * retention vars.
 */
export function edgeDeployCommands(
  environment: string,
  registry: unknown,
  retention: RetentionDeployment,
): string[][] {
  const env = ["--env", environment];
  const vars = Object.entries(retention.vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  return [
    ["npx", "wrangler", "d1", "migrations", "apply", "DB", "--remote", ...env],
    [
      "npx",
      "wrangler",
      "r2",
      "bucket",
      "lifecycle",
      "set",
      retention.bucket,
      "--file",
      retention.lifecycleFile,
      "--force",
      ...env,
    ],
    ["npx", "wrangler", "deploy", ...env, "--var", `SDGATE_BACKENDS:${JSON.stringify(registry)}`, ...vars],
  ];
}
