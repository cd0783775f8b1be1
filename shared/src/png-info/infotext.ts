/**
 * A1111's infotext (the `parameters` text its images carry), read as stable-diffusion-webui's
 * `parse_generation_parameters` reads it (modules/infotext_utils.py): the prompt, `Negative prompt:`
 * from the line that starts with it, and `Key: value` pairs on the last line (values with a comma,
 * colon or newline are JSON strings). The pairs are read by a scanner, linear in the text, rather
 * than A1111's regular expression, which backtracks on long lines without a colon.
 */

/** Longer infotext is not A1111's: it is refused rather than read. */
export const MAX_INFOTEXT_CHARS = 256 * 1024;

export interface Infotext {
  prompt: string;
  negativePrompt: string;
  /** Every `Key: value` of the last line, in order, values unquoted. */
  fields: Map<string, string>;
}

const KEY = /^\w[\w \-/]*$/;

/** The `Key: value` pairs of one line; `null` where the line is not such a list. */
function pairsOf(line: string): Map<string, string> | null {
  const pairs = new Map<string, string>();
  let i = 0;
  while (i < line.length) {
    while (line[i] === " " || line[i] === ",") i++;
    if (i >= line.length) break;
    const colon = line.indexOf(":", i);
    if (colon === -1) return null;
    const key = line.slice(i, colon).trim();
    if (!KEY.test(key)) return null;
    i = colon + 1;
    while (line[i] === " ") i++;
    let value: string;
    if (line[i] === '"') {
      // A JSON string: up to the first quote no backslash escapes.
      let end = i + 1;
      while (end < line.length && line[end] !== '"') end += line[end] === "\\" ? 2 : 1;
      try {
        value = JSON.parse(line.slice(i, end + 1)) as string;
      } catch {
        value = line.slice(i + 1, end);
      }
      i = end + 1;
    } else {
      const comma = line.indexOf(",", i);
      value = line.slice(i, comma === -1 ? line.length : comma).trim();
      i = comma === -1 ? line.length : comma;
    }
    if (!pairs.has(key)) pairs.set(key, value);
  }
  return pairs;
}

/**
 * @example
 * parseInfotext("a fox\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 1, Size: 512x512");
 * // { prompt: "a fox", negativePrompt: "blurry", fields: Map { "Steps" → "20", … } }
 */
export function parseInfotext(text: string): Infotext | null {
  if (text.length > MAX_INFOTEXT_CHARS) return null;
  const lines = text.trim().split("\n");
  let fields = pairsOf(lines.at(-1) ?? "");
  // As A1111: a last line with fewer than three pairs is part of the prompt.
  if (fields !== null && fields.size >= 3) lines.pop();
  else fields = new Map();
  const prompt: string[] = [];
  const negative: string[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (negative.length === 0 && line.startsWith("Negative prompt:")) {
      negative.push(line.slice("Negative prompt:".length).trim());
      continue;
    }
    (negative.length > 0 ? negative : prompt).push(line);
  }
  return { prompt: prompt.join("\n"), negativePrompt: negative.join("\n"), fields };
}
