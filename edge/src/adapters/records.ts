import { type AdapterKind, type AdapterRecord, adapterRecordSchema } from "@sdgate/shared";
import { z } from "zod";

/** What the adapter registry refuses, each naming what it refused (code → HTTP status in the routes). */
export type AdapterProblem =
  | { code: "invalid"; message: string; param: string | null }
  | { code: "not_found"; message: string }
  | { code: "name_taken"; message: string }
  | { code: "self_approval"; message: string }
  /** The adapter's status does not allow the change (approving a removed one, deprecating a pending one). */
  | { code: "wrong_status"; message: string };

export const ADAPTER_COLUMNS =
  "kind, name, digest, applies_to, description, source_uri, status, registered_by, registered_at, approved_by, approved_at, changed_by, changed_at, comment";

export type AdapterRow = Omit<AdapterRecord, "applies_to"> & { applies_to: string };

/** Raised when a D1 row does not parse: a server-side problem, never the caller's. */
export class CorruptAdapterRowError extends Error {
  override readonly name = "CorruptAdapterRowError";
}

export function adapterFromRow(row: AdapterRow): AdapterRecord {
  const parsed = adapterRecordSchema.safeParse({ ...row, applies_to: JSON.parse(row.applies_to) });
  if (!parsed.success)
    throw new CorruptAdapterRowError(
      `Adapter ${row.kind}/${row.name} does not parse: ${parsed.error.message}`,
    );
  return parsed.data;
}

/** How an adapter is named in messages and the audit: `lora/ink`. */
export const adapterLabel = (kind: AdapterKind, name: string) => `${kind}/${name}`;

/** The first problem zod found, as one line naming the field. */
export function invalidBody(error: z.ZodError): AdapterProblem {
  const issue = error.issues[0];
  const param = issue?.path.length ? issue.path.join(".") : null;
  return {
    code: "invalid",
    message: `Invalid ${param === null ? "" : `'${param}' `}${issue?.message ?? "input"}`.trim(),
    param,
  };
}

export const appliesToJson = (modelIds: readonly string[]) =>
  JSON.stringify(z.array(z.string()).parse(modelIds));
