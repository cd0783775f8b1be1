import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { edgeRegistryProblems } from "../registry/edge-schema.ts";
import { registryFromStackOutputs } from "../registry/stack-outputs.ts";

/**
 * `npm run registry [-- --stack NAME] [--from FILE] [--out FILE]`: writes the stack's `edgeRegistry`
 * output, checked by the edge's own schema, where `npm run deploy:edge` reads it.
 */
const REPO_ROOT = resolve(import.meta.dirname, "../../..");
const { values } = parseArgs({
  options: {
    stack: { type: "string" },
    from: { type: "string" },
    out: { type: "string", default: ".sdgate/registry.json" },
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
  const problems = await edgeRegistryProblems(registry);
  if (problems !== null) throw new Error(`the edge would refuse this registry:\n${problems}`);
  const out = resolve(REPO_ROOT, values.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(registry, null, 2)}\n`);
  const pools = (registry as { pools: { name: string; url: string }[] }).pools;
  console.log(
    `Wrote ${pools.length} pool(s) to ${values.out}: ${pools.map((p) => `${p.name} (${p.url})`).join(", ")}`,
  );
  console.log("\nApply it to the edge (D1 migrations, then the Worker with SDGATE_BACKENDS set):\n");
  console.log("  npm run deploy:edge                  # production; -- --env staging for staging");
  console.log(
    `  # or by hand: npx wrangler deploy --env production --var "SDGATE_BACKENDS:$(cat ${values.out})"`,
  );
} catch (error) {
  console.error(`registry: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
