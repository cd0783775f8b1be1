/** The options `sdgate keys create` and `update` share, turned into the admin API's fields. */
import type { ApiKeyScope, CreateKeyBody, KeyLimits } from "@sdgate/sdk";
import { UsageError } from "../io.ts";
import { wholeNumber } from "../options.ts";

/** What `create` and `update` both may set: a key's body without its name. */
export type KeyFields = Omit<CreateKeyBody, "name">;

const DURATION_UNITS_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--expires-in 30d` or `--expires-at <RFC 3339>` as the API's `expires_at`; `undefined` for neither. */
export function expiresAtOf(
  values: { "expires-in"?: string | undefined; "expires-at"?: string | undefined },
  nowMs: number,
): string | undefined {
  const { "expires-in": inText, "expires-at": atText } = values;
  if (inText !== undefined && atText !== undefined)
    throw new UsageError("Give --expires-in or --expires-at, not both.");
  if (atText !== undefined) return atText; // the edge checks it and names the field if it is wrong
  if (inText === undefined) return undefined;
  const match = /^(\d{1,6})([smhd])$/.exec(inText.trim());
  if (!match) throw new UsageError(`--expires-in: '${inText}' is not a duration like 90m, 12h or 30d.`);
  const [, count, unit] = match as unknown as [string, string, keyof typeof DURATION_UNITS_MS];
  return new Date(nowMs + Number(count) * DURATION_UNITS_MS[unit]).toISOString();
}

/** The options `create` and `update` share, as API fields (only those given). */
export const KEY_OPTIONS = {
  scope: { type: "string", multiple: true },
  rpm: { type: "string" },
  concurrency: { type: "string" },
  credits: { type: "string" },
  model: { type: "string", multiple: true },
  "expires-in": { type: "string" },
  "expires-at": { type: "string" },
  "allow-ip": { type: "string", multiple: true },
  label: { type: "string", multiple: true },
} as const;

export function keyFields(values: {
  scope?: string[] | undefined;
  rpm?: string | undefined;
  concurrency?: string | undefined;
  credits?: string | undefined;
  model?: string[] | undefined;
  "expires-in"?: string | undefined;
  "expires-at"?: string | undefined;
  "allow-ip"?: string[] | undefined;
  label?: string[] | undefined;
}): KeyFields {
  const fields: KeyFields = {};
  const limits: Partial<KeyLimits> = {};
  const rpm = wholeNumber("rpm", values.rpm, 1);
  const concurrency = wholeNumber("concurrency", values.concurrency, 1);
  if (rpm !== undefined) limits.requests_per_minute = rpm;
  if (concurrency !== undefined) limits.concurrency = concurrency;
  if (values.credits !== undefined)
    limits.credits = values.credits === "unlimited" ? null : (wholeNumber("credits", values.credits) ?? null);
  if (Object.keys(limits).length > 0) fields.limits = limits;
  // Passed on unchecked: the edge names a scope it does not know, and a newer edge may know more.
  if (values.scope) fields.scopes = values.scope.flatMap((scope) => scope.split(",")) as ApiKeyScope[];
  if (values.model) fields.models = values.model.flatMap((model) => model.split(","));
  if (values["allow-ip"]) fields.allowed_ips = values["allow-ip"].flatMap((range) => range.split(","));
  if (values.label) fields.metadata = labelsOf(values.label);
  const expiresAt = expiresAtOf(values, Date.now());
  if (expiresAt !== undefined) fields.expires_at = expiresAt;
  return fields;
}

/** `--label team=search --label cost_center=cc-42` as an object; the edge checks names and values. */
export function labelsOf(pairs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    if (equals <= 0) throw new UsageError(`--label: '${pair}' is not name=value.`);
    labels[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  return labels;
}
