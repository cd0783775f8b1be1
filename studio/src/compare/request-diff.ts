/** One field of the runs' recorded requests: each run's value as text, and whether they differ. */
export interface FieldComparison {
  /** A dotted path for nested fields: `model_version.digest`, `hires.scale`. */
  field: string;
  /** One per run, in the runs' order; `—` where a run's request lacks the field. */
  values: string[];
  differs: boolean;
}

/** The fields people look at first, in this order; the others follow by name. */
const FIRST_FIELDS = [
  "prompt",
  "negative_prompt",
  "model",
  "model_version.version",
  "model_version.digest",
  "seed",
  "steps",
  "guidance_scale",
  "scheduler",
  "width",
  "height",
];

export const ABSENT = "—";

/** A request's fields as dotted paths (`hires.scale`), arrays and scalars as leaves. */
function flatten(value: Record<string, unknown>, prefix = ""): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (const [name, inner] of Object.entries(value)) {
    const path = `${prefix}${name}`;
    if (inner !== null && typeof inner === "object" && !Array.isArray(inner))
      for (const [nested, leaf] of flatten(inner as Record<string, unknown>, `${path}.`))
        fields.set(nested, leaf);
    else fields.set(path, inner);
  }
  return fields;
}

function textOf(value: unknown): string {
  if (value === undefined) return ABSENT;
  if (value === null) return "none";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function rank(field: string): number {
  const at = FIRST_FIELDS.indexOf(field);
  return at === -1 ? FIRST_FIELDS.length : at;
}

/**
 * The runs' recorded requests field by field (nested ones as `model_version.digest`), the usual
 * fields first, each marked where the runs' values differ.
 *
 * @example
 * requestDiff([{ seed: 1, steps: 20 }, { seed: 2, steps: 20 }]).filter((row) => row.differs); // [{ field: "seed", … }]
 */
export function requestDiff(requests: readonly Record<string, unknown>[]): FieldComparison[] {
  const flat = requests.map((request) => flatten(request));
  const fields = [...new Set(flat.flatMap((fields) => [...fields.keys()]))].sort(
    (a, b) => rank(a) - rank(b) || a.localeCompare(b),
  );
  return fields.map((field) => {
    const values = flat.map((fields) => textOf(fields.get(field)));
    return { field, values, differs: values.some((value) => value !== values[0]) };
  });
}
