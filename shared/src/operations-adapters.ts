import {
  adapterDecisionBodySchema,
  adapterListQuerySchema,
  adapterListSchema,
  adapterRecordSchema,
  publicAdapterQuerySchema,
  registerAdapterBodySchema,
} from "./adapter-registry.ts";
import { ADMIN, listOf, type NamedSchema, named, type OperationSpec, queryOf } from "./operation-spec.ts";

// The registry of LoRAs and ControlNet models (issue 18), and what a key may name of it.

export const ADAPTER_SCHEMAS = {
  AdapterRecord: named("AdapterRecord", adapterRecordSchema),
  AdapterRecordList: named("AdapterRecordList", listOf(adapterRecordSchema)),
  RegisterAdapter: named("RegisterAdapter", registerAdapterBodySchema),
  AdapterDecision: named("AdapterDecision", adapterDecisionBodySchema),
  AdapterList: named("AdapterList", adapterListSchema),
} as const satisfies Record<string, NamedSchema>;

const S = ADAPTER_SCHEMAS;

/** Approving, rejecting, deprecating and removing differ only in path, summary and what they allow. */
function decision(action: string, summary: string) {
  return {
    method: "POST",
    path: `/admin/adapters/{kind}/{name}/${action}`,
    summary,
    access: ADMIN,
    permission: "models.approve",
    // Deciding twice is a 409 the second time: a lost answer may not be retried blindly.
    idempotent: false,
    body: S.AdapterDecision,
    success: { status: 200, schema: S.AdapterRecord, description: "The adapter, as decided." },
  } as const satisfies OperationSpec;
}

export const ADAPTER_OPERATIONS = {
  listAdapters: {
    method: "GET",
    path: "/v1/adapters",
    summary:
      "The LoRAs and ControlNet models this key may name (approved, and for a model it may use), for pickers and A1111's /sdapi/v1/loras.",
    access: { kind: "api_key", scope: "read" },
    permission: "models.read",
    idempotent: true,
    query: queryOf(publicAdapterQuerySchema, {
      kind: "Only LoRAs (`lora`) or ControlNet models (`controlnet`).",
      model: "Only those that apply to this model (`sd15`, or a reference such as `sd15@production`).",
    }),
    success: { status: 200, schema: S.AdapterList, description: "The adapters." },
  },
  listAdapterRecords: {
    method: "GET",
    path: "/admin/adapters",
    summary: "Every registered LoRA and ControlNet model, with its status and who decided it.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    query: queryOf(adapterListQuerySchema, {
      kind: "Only LoRAs (`lora`) or ControlNet models (`controlnet`).",
      status: "Only adapters in this status.",
    }),
    success: { status: 200, schema: S.AdapterRecordList, description: "The adapters." },
  },
  registerAdapter: {
    method: "POST",
    path: "/admin/adapters",
    summary:
      "Register a LoRA or ControlNet model (pending until someone else approves it); a name taken already is a 409.",
    access: ADMIN,
    permission: "models.register",
    idempotent: false,
    body: S.RegisterAdapter,
    success: { status: 201, schema: S.AdapterRecord, description: "The adapter, pending." },
  },
  getAdapterRecord: {
    method: "GET",
    path: "/admin/adapters/{kind}/{name}",
    summary: "One registered LoRA or ControlNet model.",
    access: ADMIN,
    permission: "models.read",
    idempotent: true,
    success: { status: 200, schema: S.AdapterRecord, description: "The adapter." },
  },
  approveAdapter: decision(
    "approve",
    "Approve a pending adapter so requests may name it; never by the person who registered it (403).",
  ),
  rejectAdapter: decision("reject", "Reject a pending adapter; final."),
  deprecateAdapter: decision(
    "deprecate",
    "Mark an approved adapter deprecated: it still serves and lists as deprecated, so callers move off it.",
  ),
  removeAdapter: decision("remove", "Stop an approved or deprecated adapter from serving; final."),
} as const satisfies Record<string, OperationSpec>;
