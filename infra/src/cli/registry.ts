import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { retentionSchema } from "../config/schema.ts";
import { registryProblems } from "../registry/build-registry.ts";
import { edgeRetention } from "../registry/edge-retention.ts";
import {
  modelsFromStackOutputs,
  registryFromStackOutputs,
  retentionFromStackOutputs,
} from "../registry/stack-outputs.ts";

/**
 * `npm run registry [-- --stack NAME] [--from FILE] [--out FILE] [--retention-out FILE] [--models-out FILE]`:
 * writes the stack's `edgeRegistry` output, checked by the contract's registry schema (the edge's),
 * its `edgeRetention` output and its model catalog (`edgeModels`), where `npm run deploy:edge` reads them.
 */
const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const { values } = parseArgs({
  options: {
    stack: { type: "string" },
    from: { type: "string" },
    out: { type: "string", default: ".sdgate/registry.json" },
    "retention-out": { type: "string", default: ".sdgate/retention.json" },
    "models-out": { type: "string", default: ".sdgate/edge-models.json" },
  },
});

try {
  const text =
    values.from !== undefined
      ? readFileSync(values.from, "utf8")
      : execFileSync(
          "pulumi",
          ["stack", "output", "--json", ...(values.stack ? ["--stack", values.stack] : [])],
          {
            cwd: REPO_ROOT,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "inherit"],
          },
        );
  const registry = registryFromStackOutputs(text);
  const checked = registryProblems(registry);
  if (!checked.ok) throw new Error(`the edge would refuse this registry:\n${checked.problems}`);
  const models = modelsFromStackOutputs(text);
  if (!models.ok) throw new Error(`the edge would serve none of the stack's models:\n${models.problems}`);
  const out = resolve(REPO_ROOT, values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(registry, null, 2)}\n`);
  const modelsOut = resolve(REPO_ROOT, values["models-out"]);
  mkdirSync(dirname(modelsOut), { recursive: true });
  writeFileSync(modelsOut, `${JSON.stringify(models.value, null, 2)}\n`);
  // A stack deployed before it had the output gets what `pulumi up` would give it: the defaults.
  const retention = retentionFromStackOutputs(text) ?? edgeRetention(retentionSchema.parse(undefined));
  const retentionOut = resolve(REPO_ROOT, values["retention-out"]);
  mkdirSync(dirname(retentionOut), { recursive: true });
  writeFileSync(retentionOut, `${JSON.stringify(retention, null, 2)}\n`);
  const { pools } = checked.value;
  console.log(
    `Wrote ${pools.length} pool(s) to ${values.out}: ${pools.map((p) => `${p.name} (${p.url})`).join(", ")}`,
  );
  console.log(
    `Wrote ${models.value.length} model(s) to ${values["models-out"]}: ${models.value.map((m) => m.id).join(", ")}`,
  );
  console.log(
    `Wrote the edge's retention to ${values["retention-out"]}: cache ${retention.vars.SDGATE_CACHE_RETENTION_DAYS} days, jobs ${retention.vars.SDGATE_JOB_RETENTION_HOURS} hours, audit ${retention.vars.SDGATE_AUDIT_RETENTION_DAYS} days`,
  );
  console.log(
    "\nApply it to the edge (D1 migrations, the R2 lifecycle, then the Worker with SDGATE_BACKENDS and SDGATE_MODELS set):\n",
  );
  console.log("  npm run deploy:edge                  # production; -- --env staging for staging");
} catch (error) {
  console.error(`registry: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
