import { extname } from "node:path";
import { type GenerationBody, OUTPUT_FORMATS } from "@sdgate/sdk";
import { UsageError } from "../io.ts";
import { wholeNumber } from "../options.ts";

type OutputFormat = NonNullable<GenerationBody["output_format"]>;

function isFormat(name: string): name is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(name);
}

/** A decimal such as 7.5 or .5 from a flag, or a usage error naming the flag. */
function decimal(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+(\.\d+)?$|^\.\d+$/.test(value))
    throw new UsageError(`--${flag} must be a number such as 1.5, got '${value}'.`);
  return Number(value);
}

/**
 * The request body of a generation from the command line; flags that were not given are left out, so
 * the server's defaults apply. The edge checks ranges and names the field it refuses.
 *
 * @example
 * generationBody("a lighthouse", { steps: "20", output: "out.webp" }); // { prompt, response_format: "b64_json", steps: 20, output_format: "webp" }
 */
export function generationBody(
  prompt: string,
  values: Record<string, string | boolean | undefined>,
): GenerationBody {
  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string) : undefined);
  const body: GenerationBody = { prompt, response_format: "b64_json" };
  const size = text("size");
  if (size !== undefined) {
    if (!/^\d{2,5}x\d{2,5}$/.test(size))
      throw new UsageError(`--size must look like 512x512, got '${size}'.`);
    body.size = size;
  }
  const numbers = {
    steps: wholeNumber("steps", text("steps"), 1),
    seed: wholeNumber("seed", text("seed")),
    n: wholeNumber("n", text("n"), 1),
    clip_skip: wholeNumber("clip-skip", text("clip-skip"), 1),
    guidance_scale: decimal("guidance", text("guidance")),
    hires_scale: decimal("hires-scale", text("hires-scale")),
    hires_strength: decimal("hires-strength", text("hires-strength")),
  };
  for (const [field, value] of Object.entries(numbers)) {
    if (value !== undefined) body[field as keyof typeof numbers] = value;
  }
  const scheduler = text("scheduler");
  const negative = text("negative");
  const model = text("model");
  if (scheduler !== undefined) body.scheduler = scheduler;
  if (negative !== undefined) body.negative_prompt = negative;
  if (model !== undefined) body.model = model;
  const refiner = text("refiner");
  const switchAt = decimal("refiner-switch-at", text("refiner-switch-at"));
  if (refiner !== undefined)
    body.refiner = { model: refiner, ...(switchAt === undefined ? {} : { switch_at: switchAt }) };
  else if (switchAt !== undefined) throw new UsageError("--refiner-switch-at needs --refiner.");
  const given = text("format");
  const format =
    given ??
    extname(text("output") ?? "")
      .slice(1)
      .toLowerCase()
      .replace(/^jpg$/, "jpeg");
  if (isFormat(format)) body.output_format = format;
  else if (given !== undefined)
    throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(", ")}, got '${format}'.`);
  return body;
}

/**
 * `out.png`, `out-1.png`, `out-2.png`, …: where image `index` of a job goes.
 *
 * @example
 * outputPath("shots/out.webp", 2); // "shots/out-2.webp"
 */
export function outputPath(output: string, index: number): string {
  if (index === 0) return output;
  const extension = extname(output);
  return `${output.slice(0, output.length - extension.length)}-${index}${extension}`;
}
