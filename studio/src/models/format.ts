import { isSdgateApiError } from "@sdgate/sdk";

/**
 * What a failed call says to the person: the API's message, with its code and the field it names
 * (`409 conflict (expected_revision): …`), so the cause is clear next to the action that failed.
 *
 * @example
 * errorText(error); // "403 insufficient_scope: You may not approve your own request."
 */
export function errorText(error: unknown): string {
  if (!isSdgateApiError(error)) return error instanceof Error ? error.message : String(error);
  const param = error.param === null ? "" : ` (${error.param})`;
  return `${error.status} ${error.code ?? "error"}${param}: ${error.message}`;
}

/** A timestamp as a short local date and time; an unreadable one as it came. */
export function when(iso: string | null): string {
  if (iso === null) return "—";
  const at = new Date(iso);
  return Number.isNaN(at.getTime())
    ? iso
    : `${at.toLocaleString("en-GB", { dateStyle: "medium", timeStyle: "short", timeZone: "UTC" })} UTC`;
}

/** `user:usr_…`, `system:npm-start`, `break_glass`: who did it, without the actor kind's prefix. */
export const actorName = (actor: string | null) => (actor === null ? "—" : actor.replace(/^user:/, ""));

/** A digest's first 12 hex digits: enough to tell versions apart, the whole one in a title. */
export const shortDigest = (digest: string) => digest.slice(0, 12);

/** A share (0…1) as a percentage, one decimal; `—` when there is none. */
export const percent = (rate: number | null) => (rate === null ? "—" : `${(rate * 100).toFixed(1)} %`);

/** Milliseconds as people read them: `850 ms`, `2.4 s`; `—` when unknown. */
export function duration(ms: number | null): string {
  if (ms === null) return "—";
  return ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;
}
