/**
 * Check a model folder against the digest a registry version names, with the backend's own digest
 * code (model-digest.ts), before anything serves it.
 *
 *   node backend/src/cli/verify-model.ts <folder> <expected digest>
 *     exit 0 when the folder's digest is the expected one; exit 1 naming both digests when not.
 *   node backend/src/cli/verify-model.ts --print <folder>
 *     print the folder's digest (what `sdgate registry register-version` and `sdgate:models` name).
 *
 * Usage mistakes exit 2. The infra program's copy Job runs the first form from the backend image.
 */
import { parseArgs } from "node:util";
import { DIGEST_PATTERN } from "@sdgate/shared";
import { folderDigest } from "../model-digest.ts";

const USAGE = `Usage: node backend/src/cli/verify-model.ts <folder> <expected sha256 digest>
       node backend/src/cli/verify-model.ts --print <folder>`;

function usage(problem: string): never {
  process.stderr.write(`verify-model: ${problem}\n${USAGE}\n`);
  process.exit(2);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: { print: { type: "boolean", default: false } } });
  } catch (error) {
    return usage((error as Error).message);
  }
})();

const [folder, expected] = positionals;
if (folder === undefined) usage("name the model folder");
if (values.print && expected !== undefined) usage("--print takes only the folder");
if (!values.print && (expected === undefined || positionals.length > 2))
  usage("name the folder and the digest it must have");
if (expected !== undefined && !DIGEST_PATTERN.test(expected))
  usage(`'${expected}' is not a SHA-256 digest (64 lowercase hex digits)`);

try {
  const actual = await folderDigest(folder);
  if (values.print) process.stdout.write(`${actual}\n`);
  else if (actual === expected) process.stdout.write(`${folder}: digest ${actual} as expected\n`);
  else {
    process.stderr.write(`${folder}: digest mismatch: expected ${expected}, found ${actual}\n`);
    process.exitCode = 1;
  }
} catch (error) {
  process.stderr.write(`verify-model: cannot read ${folder}: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
