/**
 * Build the project's own models: `npx node backend/src/cli/build-models.ts [dir]`, default
 * `.sdgate/models` under the repository root. Prints what it wrote; rebuilding an up-to-date folder is
 * a no-op.
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureTinyModelDetailed } from "../model-builder/index.ts";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const cacheDir = resolve(process.argv[2] ?? resolve(repoRoot, ".sdgate/models"));
const startedMs = performance.now();
const result = await ensureTinyModelDetailed(cacheDir);
const elapsedMs = Math.round(performance.now() - startedMs);
if (result.built) {
  console.log(`built the tiny model in ${result.dir} (${elapsedMs} ms):`);
  for (const file of result.files) console.log(`  ${file}`);
} else {
  console.log(`the tiny model in ${result.dir} is up to date (${elapsedMs} ms)`);
}
