import { generationRequestSchema, SCHEDULER_NAMES } from "@sdgate/shared";
import { z } from "zod";

/** The part of JSON Schema that zod writes for the generation request's fields. */
interface JsonField {
  type?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  enum?: string[];
  /** An object field's own fields (`refiner`'s), and a nullable field's branches. */
  properties?: Record<string, JsonField>;
  anyOf?: JsonField[];
}

/** What one form control needs to know, read from the contract. */
export type FieldSpec =
  | { kind: "text"; name: string; required: boolean; maxLength: number | null }
  | { kind: "number"; name: string; integer: boolean; min: number | null; max: number | null }
  | { kind: "choice"; name: string; options: readonly string[] };

// The request's fields as a client sends them (`io: "input"`: before transforms, so `scheduler` is
// the string a person types). Refinements that JSON Schema cannot say (multiples of 8) stay the edge's.
const contract = z.toJSONSchema(generationRequestSchema, { io: "input", unrepresentable: "any" }) as {
  properties: Record<string, JsonField>;
  required?: string[];
};

// Bounds past this are "no bound" to a person (the schema's seed and steps go to 2^53 - 1).
const NO_BOUND = 2 ** 31;

/** A request field, or one inside an object field by its path (`refiner.switch_at`), nullable or not. */
function jsonField(name: string): JsonField | undefined {
  const [first = "", ...inner] = name.split(".");
  let field = contract.properties[first];
  for (const part of inner) {
    const object = field?.anyOf?.find((branch) => branch.type === "object") ?? field;
    field = object?.properties?.[part];
  }
  return field;
}

/**
 * The form control of a request field, from `generationRequestSchema`: its kind, bounds and choices;
 * a field inside an object by its path (`refiner.switch_at`), its exclusive bounds as the input's.
 * `scheduler` is a free string in the schema (any A1111 or ComfyUI name resolves), so its choices
 * are the canonical names the schema resolves them to.
 *
 * @example
 * fieldSpec("steps"); // { kind: "number", name: "steps", integer: true, min: 1, max: null }
 */
export function fieldSpec(name: string): FieldSpec {
  const field = jsonField(name);
  if (field === undefined) throw new Error(`The generation request has no field '${name}'.`);
  if (name === "scheduler") return { kind: "choice", name, options: SCHEDULER_NAMES };
  if (field.enum !== undefined) return { kind: "choice", name, options: field.enum };
  if (field.type === "integer" || field.type === "number") {
    const min = field.minimum ?? field.exclusiveMinimum ?? null;
    const bound = field.maximum ?? field.exclusiveMaximum;
    const max = bound !== undefined && bound < NO_BOUND ? bound : null;
    return { kind: "number", name, integer: field.type === "integer", min, max };
  }
  return {
    kind: "text",
    name,
    required: contract.required?.includes(name) ?? false,
    maxLength: field.maxLength ?? null,
  };
}

/**
 * `fieldSpec` for a field the form shows as one kind of control; a contract that changed the field's
 * kind fails as the page loads, naming it.
 *
 * @example
 * const switchAt = fieldSpecOfKind("refiner.switch_at", "number"); // its min and max
 */
export function fieldSpecOfKind<K extends FieldSpec["kind"]>(
  name: string,
  kind: K,
): Extract<FieldSpec, { kind: K }> {
  const spec = fieldSpec(name);
  if (spec.kind !== kind) throw new Error(`The contract's '${name}' is not a ${kind} field.`);
  return spec as Extract<FieldSpec, { kind: K }>;
}
