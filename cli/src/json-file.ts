import { readFile } from "node:fs/promises";
import { UsageError } from "./io.ts";

/**
 * The JSON in the file a `--file` option names; a usage error (exit 2, before any request) when it
 * cannot be read or is not JSON.
 *
 * @example
 * const rules = await jsonFile(values.file); // sdgate teams policy team_… --file rules.json
 */
export async function jsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new UsageError(`--file: cannot read '${path}'.`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`--file: '${path}' is not JSON.`);
  }
}
