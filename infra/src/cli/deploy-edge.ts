import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse } from "smol-toml";
import { accessEdgeVars } from "../config/access-schema.ts";
import { registryProblems } from "../registry/build-registry.ts";
import { edgeModelsProblems } from "../registry/edge-models.ts";
import { edgeRetentionProblems } from "../registry/edge-retention.ts";
import { edgeVars, workerVarProblems } from "../registry/edge-vars.ts";
import { edgeDeployCommands } from "../registry/stack-outputs.ts";

/**
 * `npm run deploy:edge [-- --env staging] [--registry FILE] [--models FILE] [--retention FILE] [--access FILE] [--dry-run]`:
 * applies the D1 migrations, sets the `IMAGES` bucket's lifecycle, and deploys the Worker with the
 * registry, the model catalog and the retention `npm run registry` wrote, and with the stack's Cloudflare
 * Access application (SDGATE_ACCESS_TEAM_DOMAIN, SDGATE_ACCESS_AUD) where `--access` (default: access.json
 * beside the retention) holds its `access` output. `--dry-run` prints the commands and runs Wrangler's
 * own offline `deploy --dry-run` of the Worker with those vars.
 */
const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const { values } = parseArgs({
  options: {
    env: { type: "string", default: "production" },
    registry: { type: "string", default: ".sdgate/registry.json" },
    models: { type: "string", default: ".sdgate/edge-models.json" },
    retention: { type: "string", default: ".sdgate/retention.json" },
    access: { type: "string" },
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

/**
 * The edge's Access vars from `pulumi stack output --json access`, saved to `file`; none where the
 * default file is absent (a stack without `sdgate:access`), an error where a named one is.
 */
function accessVars(file: string, named: boolean): Record<string, string> {
  const path = resolve(REPO_ROOT, file);
  if (!named && !existsSync(path)) return {};
  let output: unknown;
  try {
    output = JSON.parse(readFileSync(path, "utf8"));
  } catch {
    throw new Error(`cannot read ${file}; write it with \`pulumi stack output --json access > ${file}\``);
  }
  const access = accessEdgeVars(output);
  if (!access.ok) throw new Error(`${file} is not the stack's access output:\n${access.problems}`);
  return access.value;
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

/** Wrangler's offline check of the Worker deploy: config, bindings and bundle, nothing uploaded. */
function wranglerDryRun(deploy: readonly string[]): void {
  const wrangler = join(
    dirname(createRequire(import.meta.url).resolve("wrangler/package.json")),
    "bin/wrangler.js",
  );
  const outdir = mkdtempSync(join(tmpdir(), "sdgate-edge-dry-run-"));
  const args = [wrangler, ...deploy.slice(2), "--dry-run", "--outdir", outdir];
  const result = spawnSync(process.execPath, args, {
    cwd: REPO_ROOT,
    stdio: "inherit",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  if (result.status !== 0) throw new Error(`wrangler deploy --dry-run failed (exit ${result.status})`);
}

try {
  if (!["production", "staging"].includes(values.env)) throw new Error("--env must be production or staging");
  const registry = readJson(values.registry);
  const checked = registryProblems(registry);
  if (!checked.ok) throw new Error(`the edge would refuse ${values.registry}:\n${checked.problems}`);
  const models = edgeModelsProblems(readJson(values.models));
  if (!models.ok) throw new Error(`the edge would refuse ${values.models}:\n${models.problems}`);
  const retention = edgeRetentionProblems(readJson(values.retention));
  if (!retention.ok)
    throw new Error(`${values.retention} is not the edge's retention:\n${retention.problems}`);
  const accessFile = values.access ?? join(dirname(values.retention), "access.json");
  const vars = {
    ...edgeVars({ registry, models: models.value, retentionVars: retention.value.vars }),
    ...accessVars(accessFile, values.access !== undefined),
  };
  const tooBig = workerVarProblems(vars);
  if (tooBig.length > 0) throw new Error(`Cloudflare would refuse the Worker:\n${tooBig.join("\n")}`);
  // Beside the retention it comes from, so the printed command can be run by hand.
  const lifecycleFile = resolve(REPO_ROOT, dirname(values.retention), `r2-lifecycle.${values.env}.json`);
  mkdirSync(dirname(lifecycleFile), { recursive: true });
  writeFileSync(lifecycleFile, `${JSON.stringify(retention.value.r2Lifecycle, null, 2)}\n`);
  const commands = edgeDeployCommands(values.env, vars, { bucket: imagesBucket(values.env), lifecycleFile });
  for (const command of commands) {
    console.log(`$ ${command.map((arg) => (/[\s"'{}$[\]]/.test(arg) ? `'${arg}'` : arg)).join(" ")}`);
    if (values["dry-run"]) continue;
    const [program, ...args] = command as [string, ...string[]];
    const result = spawnSync(program, args, { cwd: REPO_ROOT, stdio: "inherit" });
    if (result.status !== 0)
      throw new Error(`${command.slice(0, 3).join(" ")} failed (exit ${result.status})`);
  }
  const deploy = commands.at(-1);
  if (values["dry-run"] && deploy !== undefined) wranglerDryRun(deploy);
} catch (error) {
  console.error(`deploy:edge: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
