import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { ModelLoadError } from "../errors.ts";

export type JsonObject = Readonly<Record<string, unknown>>;

/**
 * A JSON object file of a model folder (`model_index.json`, `scheduler/scheduler_config.json`, …).
 * A missing optional file is `{}`; a missing required one, or one that is not an object, is a
 * `ModelLoadError` naming it.
 */
export async function readJsonObject(modelDir: string, file: string, required: boolean): Promise<JsonObject> {
  let text: string;
  try {
    text = await readFile(join(modelDir, file), "utf8");
  } catch (error) {
    if (!required) return {};
    throw new ModelLoadError(file, `file missing (looked in ${modelDir})`, { cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
      throw new Error("not a JSON object");
    return parsed as JsonObject;
  } catch (error) {
    throw new ModelLoadError(
      file,
      `not a JSON object: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** `object[key]` when it is a finite number. */
export function numberField(object: JsonObject, key: string): number | undefined {
  const value = object[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** `object[key]` when it is a string. */
export function stringField(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  return typeof value === "string" ? value : undefined;
}
