import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { edgeRegistryProblems } from "../registry/edge-schema.ts";
import { edgeDeployCommands } from "../registry/stack-outputs.ts";

/**
 * `npm run deploy:edge [-- --env staging] [--registry FILE] [--dry-run]`: applies the D1 migrations
 * and deploys the Worker with the registry `npm run registry` wrote as its SDGATE_BACKENDS.
 */
const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const { values } = parseArgs({
  options: {
    env: { type: "string", default: "production" },
    registry: { type: "string", default: ".sdgate/registry.json" },
    "dry-run": { type: "boolean", default: false },
  },
});

try {
  if (!["production", "staging"].includes(values.env)) throw new Error("--env must be production or staging");
  let registry: unknown;
  try {
    registry = JSON.parse(readFileSync(resolve(REPO_ROOT, values.registry), "utf8"));
  } catch {
    throw new Error(`cannot read ${values.registry}; run \`npm run registry\` first`);
  }
  const problems = await edgeRegistryProblems(registry);
  if (problems !== null) throw new Error(`the edge would refuse ${values.registry}:\n${problems}`);
  for (const command of edgeDeployCommands(values.env, registry)) {
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
