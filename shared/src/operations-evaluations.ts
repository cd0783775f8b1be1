import type { NamedSchema, OperationSpec } from "./operation-spec.ts";

// The evaluation runs' operations (issue 16); empty until they land.

export const EVALUATION_SCHEMAS = {} as const satisfies Record<string, NamedSchema>;

export const EVALUATION_OPERATIONS = {} as const satisfies Record<string, OperationSpec>;
