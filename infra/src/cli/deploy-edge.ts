import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "smol-toml";
import { registryProblems } from "../registry/build-registry.ts";
import { edgeRetentionProblems } from "../registry/edge-retention.ts";
import { edgeDeployCommands } from "../registry/stack-outputs.ts";

/**
 * `npm run deploy:edge [-- --env staging] [--registry FILE] [--retention FILE] [--dry-run]`: applies
 * the D1 migrations, sets the `IMAGES` bucket's lifecycle, and deploys the Worker with the registry
 * and the retention `npm run registry` wrote.
 */
const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const { values } = parseArgs({
  options: {
    env: { type: "string", default: "production" },
    registry: { type: "string", default: ".sdgate/registry.json" },
    retention: { type: "string", default: ".sdgate/retention.json" },
    "dry-run": { type: "boolean", default: false },
  },
});

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(resolve(REPO_ROOT, file), "utf8"));
  } catch {
    throw new Error(`cannot read ${file}; run \`npm run registry\` first`);
  }
}

/** The environment's `IMAGES` bucket, as wrangler.toml names it. */
function imagesBucket(environment: string): string {
  const config = parse(readFileSync(resolve(REPO_ROOT, "wrangler.toml"), "utf8")) as {
    env?: Record<string, { r2_buckets?: { binding: string; bucket_name: string }[] }>;
  };
  const bucket = config.env?.[environment]?.r2_buckets?.find((b) => b.binding === "IMAGES")?.bucket_name;
  if (bucket === undefined) throw new Error(`wrangler.toml has no IMAGES bucket in [env.${environment}]`);
  return bucket;
}

try {
  if (!["production", "staging"].includes(values.env)) throw new Error("--env must be production or staging");
  const registry = readJson(values.registry);
  const checked = registryProblems(registry);
  if (!checked.ok) throw new Error(`the edge would refuse ${values.registry}:\n${checked.problems}`);
  const retention = edgeRetentionProblems(readJson(values.retention));
  if (!retention.ok)
    throw new Error(`${values.retention} is not the edge's retention:\n${retention.problems}`);
  // Beside the retention it comes from, so the printed command can be run by hand.
  const lifecycleFile = resolve(REPO_ROOT, dirname(values.retention), `r2-lifecycle.${values.env}.json`);
  mkdirSync(dirname(lifecycleFile), { recursive: true });
  writeFileSync(lifecycleFile, `${JSON.stringify(retention.value.r2Lifecycle, null, 2)}\n`);
  const commands = edgeDeployCommands(values.env, registry, {
    vars: retention.value.vars,
    bucket: imagesBucket(values.env),
    lifecycleFile,
  });
  for (const command of commands) {
    console.log(`$ ${command.map((arg) => (/[\s"'{}$]/.test(arg) ? `'${arg}'` : arg)).join(" ")}`);
    if (values["dry-run"]) continue;
    const [program, ...args] = command as [string, ...string[]];
    const result = spawnSync(program, args, { cwd: REPO_ROOT, stdio: "inherit" });
    if (result.status !== 0)
      throw new Error(`${command.slice(0, 3).join(" ")} failed (exit ${result.status})`);
  }
} catch (error) {
  console.error(`deploy:edge: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
