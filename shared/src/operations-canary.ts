import type { NamedSchema, OperationSpec } from "./operation-spec.ts";

// The canary releases' operations (issue 16); empty until they land.

export const CANARY_SCHEMAS = {} as const satisfies Record<string, NamedSchema>;

export const CANARY_OPERATIONS = {} as const satisfies Record<string, OperationSpec>;
