import { MAX_INPUT_IMAGE_CHARS, parseInfotext, readPngText, SdgateError } from "@sdgate/shared";
import type { Context, Hono } from "hono";
import { fromBase64 } from "../cache/record.ts";
import type { AppEnv } from "../hono-env.ts";
import { keyAuth } from "../keys/authorize.ts";
import { admitRequestOnly } from "../limits/index.ts";
import { limitBody, requireJson } from "../routes/generations.ts";
import { onOperation } from "../routes/operation.ts";
import { jsonBody } from "./body.ts";

/**
 * A1111's `parse_generation_parameters` shape: `Prompt`, `Negative prompt`, each `Key: value`, and
 * `Size` split into `Size-1`/`Size-2` (`modules/infotext_utils.py`).
 */
function parametersOf(infotext: string): Record<string, string> {
  const parsed = parseInfotext(infotext);
  if (parsed === null) return {};
  const parameters: Record<string, string> = {
    Prompt: parsed.prompt,
    "Negative prompt": parsed.negativePrompt,
  };
  for (const [key, value] of parsed.fields) {
    const size = key === "Size" ? /^(\d+)x(\d+)$/.exec(value) : null;
    if (size) {
      parameters["Size-1"] = size[1] ?? "";
      parameters["Size-2"] = size[2] ?? "";
    } else parameters[key] = value;
  }
  return parameters;
}

function imageBytes(body: unknown): Uint8Array {
  const image = typeof body === "object" && body !== null ? (body as { image?: unknown }).image : undefined;
  if (typeof image !== "string" || image.length > MAX_INPUT_IMAGE_CHARS)
    throw new SdgateError("invalid_request", "Invalid 'image': a base64 PNG (or a data: URL) is needed.", {
      param: "image",
    });
  try {
    return fromBase64(image.replace(/^data:[^,]*,/, ""));
  } catch {
    throw new SdgateError("invalid_request", "Invalid 'image': not base64.", { param: "image" });
  }
}

/** `POST /sdapi/v1/png-info`: the `parameters` text a PNG carries, its other text chunks, and the text parsed. */
async function pngInfo(c: Context<AppEnv>): Promise<Response> {
  await admitRequestOnly(c);
  const body = await jsonBody(c);
  const chunks = await readPngText(imageBytes(body)).catch(() => new Map<string, string>());
  const info = chunks.get("parameters") ?? "";
  const items = Object.fromEntries([...chunks].filter(([key]) => key !== "parameters"));
  return c.json({ info, items, parameters: parametersOf(info) });
}

export function registerSdapiPngInfo(app: Hono<AppEnv>): void {
  onOperation(app, "sdapiPngInfo", keyAuth("sdapiPngInfo", { basic: true }), requireJson, limitBody, pngInfo);
}
