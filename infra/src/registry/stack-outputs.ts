import { type EdgeModelEntry, edgeModelsProblems } from "./edge-models.ts";
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

/**
 * The stack's model catalog (SDGATE_MODELS): its `edgeModels` output, or for a stack that does not
 * export one, the ids its registry's `models` names; checked by the entry schema the edge parses
 * `SDGATE_MODELS` with, and refused when it names no model.
 */
export function modelsFromStackOutputs(
  text: string,
): { ok: true; value: EdgeModelEntry[] } | { ok: false; problems: string } {
  const parsed = parseOutputs(text);
  const outputs = (typeof parsed === "object" && parsed !== null ? parsed : {}) as Record<string, unknown>;
  if ("edgeModels" in outputs) return edgeModelsProblems(outputs.edgeModels);
  const registry = outputs.edgeRegistry as { models?: Record<string, string> } | undefined;
  const fromRegistry = Object.keys(registry?.models ?? {}).map((id) => ({ id }));
  if (fromRegistry.length > 0) return edgeModelsProblems(fromRegistry);
  return {
    ok: false,
    problems:
      "the stack outputs have no `edgeModels` and its registry names no `models`: the edge would serve only `tiny` (run `pulumi up` with this version of the program)",
  };
}

/** Where the `IMAGES` bucket's lifecycle goes. */
export interface LifecycleDeployment {
  /** The environment's `IMAGES` bucket (wrangler.toml). */
  bucket: string;
  /** A file holding `EdgeRetention.r2Lifecycle`. */
  lifecycleFile: string;
}

/**
 * The edge deployment, as argument lists: D1 migrations first (a Worker that reads a column its
 * database lacks fails every request), then the `IMAGES` bucket's lifecycle (so R2 expires what the
 * new Worker's index will forget), then the Worker with `vars` (SDGATE_BACKENDS, SDGATE_MODELS, the
 * retention: see `edgeVars`).
 */
export function edgeDeployCommands(
  environment: string,
  vars: Record<string, string>,
  lifecycle: LifecycleDeployment,
): string[][] {
  const env = ["--env", environment];
  const varArgs = Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]);
  return [
    ["npx", "wrangler", "d1", "migrations", "apply", "DB", "--remote", ...env],
    [
      "npx",
      "wrangler",
      "r2",
      "bucket",
      "lifecycle",
      "set",
      lifecycle.bucket,
      "--file",
      lifecycle.lifecycleFile,
      "--force",
      ...env,
    ],
    ["npx", "wrangler", "deploy", ...env, ...varArgs],
  ];
}
