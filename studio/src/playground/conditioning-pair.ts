import {
  type ConditioningSize,
  type CropsCoords,
  type SizeConditioningField,
  validSizeConditioning,
} from "@sdgate/shared";

/** What two number inputs of one size-conditioning field say: a whole value, nothing, or half of one. */
export type PairReading =
  | { kind: "value"; value: ConditioningSize | CropsCoords }
  | { kind: "blank" }
  | { kind: "partial" };

/**
 * Reads a field's two inputs (width and height, or top and left) as the contract takes them: both
 * blank is the default, both whole numbers in range is a value, anything else is not yet one.
 *
 * @example
 * readPair("original_size", "2048", "1536") // { kind: "value", value: { width: 2048, height: 1536 } }
 */
export function readPair(field: SizeConditioningField, first: string, second: string): PairReading {
  const blanks = [first, second].filter((text) => text.trim() === "").length;
  if (blanks === 2) return { kind: "blank" };
  // `Number("")` is 0, which a crop takes: one blank input is half a value, not a zero
  if (blanks === 1) return { kind: "partial" };
  const [a, b] = [Number(first), Number(second)];
  const candidate = field.includes("crops") ? { top: a, left: b } : { width: a, height: b };
  const value = validSizeConditioning({ [field]: candidate })[field];
  return value === undefined ? { kind: "partial" } : { kind: "value", value };
}

/** A field's value as the two inputs show it (`["", ""]` for the default). */
export function pairTexts(value: ConditioningSize | CropsCoords | undefined): [string, string] {
  if (value === undefined) return ["", ""];
  return "top" in value
    ? [String(value.top), String(value.left)]
    : [String(value.width), String(value.height)];
}
