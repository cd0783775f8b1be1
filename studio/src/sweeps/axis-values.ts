import { MAX_AXIS_VALUES, SWEEP_FIELDS, type SweepAxis, type SweepField } from "@sdgate/shared";

/** What a person reads for each axis field. */
export const FIELD_LABELS: Readonly<Record<SweepField, string>> = {
  model: "Model",
  prompt: "Prompt",
  negative_prompt: "Negative prompt",
  prompt_sr: "Prompt S/R",
  scheduler: "Scheduler",
  steps: "Steps",
  guidance_scale: "Guidance",
  seed: "Seed",
  size: "Size",
  width: "Width",
  height: "Height",
  rng: "RNG",
  clip_skip: "Clip skip",
  hires_scale: "Hires scale",
  hires_strength: "Hires strength",
  hires_steps: "Hires steps",
  strength: "Strength",
  output_format: "Output format",
  refiner: "Refiner",
  refiner_switch_at: "Refiner switch at",
};

const TEXT_FIELDS: ReadonlySet<SweepField> = new Set([
  "model",
  "prompt",
  "negative_prompt",
  "prompt_sr",
  "scheduler",
  "size",
  "rng",
  "output_format",
  "refiner",
]);

/** Whether an axis of this field takes text (else numbers). */
export const takesText = (field: SweepField) => TEXT_FIELDS.has(field);

export const FIELD_CHOICES = SWEEP_FIELDS.map((field) => ({ value: field, label: FIELD_LABELS[field] }));

export type Parsed = { ok: true; values: Array<string | number> } | { ok: false; message: string };

/** Splits on commas outside double quotes (A1111's CSV), trimming each item; `""` escapes a quote. */
function splitItems(text: string): string[] {
  const items: string[] = [];
  let current = "";
  let quoted = false;
  for (let at = 0; at < text.length; at += 1) {
    const char = text[at];
    if (char === '"') {
      if (quoted && text[at + 1] === '"') {
        current += '"';
        at += 1;
      } else quoted = !quoted;
    } else if (char === "," && !quoted) {
      items.push(current.trim());
      current = "";
    } else current += char;
  }
  items.push(current.trim());
  return items.filter((item) => item !== "");
}

const RANGE =
  /^(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)(?:\s*(?:\(\s*\+\s*(\d+(?:\.\d+)?)\s*\)|\[\s*(\d+)\s*\]))?$/;

/** Rounds away float noise (0.1 + 0.2) so values read as typed. */
const tidy = (value: number) => Math.round(value * 1e6) / 1e6;

/** One item of a numeric axis: a number, `1-5` (every whole number), `1-10 (+3)` (a step), `1-2 [5]` (a count). */
function numbersOf(item: string): number[] | null {
  const single = Number(item);
  if (item !== "" && Number.isFinite(single)) return [single];
  const range = RANGE.exec(item);
  if (range === null) return null;
  const [start, end] = [Number(range[1]), Number(range[2])];
  if (range[4] !== undefined) {
    const count = Number(range[4]);
    if (count < 1) return null;
    if (count === 1) return [start];
    return Array.from({ length: count }, (_, index) => tidy(start + ((end - start) * index) / (count - 1)));
  }
  const step = Math.abs(Number(range[3] ?? 1)) * (end < start ? -1 : 1);
  if (step === 0) return null;
  const values: number[] = [];
  for (let value = start; step > 0 ? value <= end + 1e-9 : value >= end - 1e-9; value += step) {
    values.push(tidy(value));
    if (values.length > MAX_AXIS_VALUES) break;
  }
  return values;
}

/**
 * An axis's values as a person types them, A1111's way: comma-separated (quotes keep a comma in a
 * prompt), and for numbers also ranges (`10-30 (+10)`, `1-7 [4]`). Prompt S/R's first value is the
 * text searched for.
 *
 * @example
 * parseAxisValues("steps", "10-30 (+10)"); // { ok: true, values: [10, 20, 30] }
 */
export function parseAxisValues(field: SweepField, text: string): Parsed {
  const items = splitItems(text);
  if (items.length === 0) return { ok: false, message: "Give at least one value." };
  let values: Array<string | number> = items;
  if (!takesText(field)) {
    const numbers: number[] = [];
    for (const item of items) {
      const parsed = numbersOf(item);
      if (parsed === null)
        return { ok: false, message: `'${item}' is not a number or a range like 10-30 (+10) or 1-7 [4].` };
      numbers.push(...parsed);
    }
    values = numbers;
  }
  if (values.length > MAX_AXIS_VALUES)
    return { ok: false, message: `${values.length} values; an axis takes at most ${MAX_AXIS_VALUES}.` };
  return { ok: true, values };
}

/** An axis's values written back as a person would type them. */
export function axisText(axis: Pick<SweepAxis, "values">): string {
  return axis.values
    .map((value) =>
      typeof value === "string" && /[",]/.test(value) ? `"${value.replaceAll('"', '""')}"` : String(value),
    )
    .join(", ");
}
