import type { AuditRow, FleetBackend } from "@sdgate/shared";

/**
 * A moment as a person reads it, in their locale; `—` for none.
 *
 * @example
 * whenOf("2026-12-06T10:00:00Z"); // "12/6/2026, 10:00:00 AM"
 */
export function whenOf(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return "—";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/**
 * A number of credits as a person reads it.
 *
 * @example
 * creditsOf(5000); // "5,000 credits"
 */
export function creditsOf(credits: number): string {
  return `${credits.toLocaleString("en")} ${credits === 1 ? "credit" : "credits"}`;
}

/** The email the audit row recorded for the person who acted (`detail.actor_email`), if any. */
export function actorEmailOf(row: Pick<AuditRow, "detail">): string | null {
  const detail = row.detail;
  if (typeof detail !== "object" || detail === null || !("actor_email" in detail)) return null;
  return typeof detail.actor_email === "string" ? detail.actor_email : null;
}

/** How a backend is doing, in words, and whether that is healthy. */
export interface BackendHealth {
  healthy: boolean;
  label: string;
}

/**
 * A backend's health from its breaker and last probe: healthy while its breaker is closed, it is not
 * asking to be skipped, and its last probe (if any) passed.
 *
 * @example
 * backendHealth(backend).label; // "Healthy" | "Unhealthy: breaker open (connect)" | …
 */
export function backendHealth(
  backend: Pick<FleetBackend, "breaker" | "last_probe">,
  nowMs = Date.now(),
): BackendHealth {
  const { breaker, last_probe: probe } = backend;
  if (breaker.state !== "closed") {
    const why = breaker.last_failure === null ? "" : ` (${breaker.last_failure})`;
    return { healthy: false, label: `Unhealthy: breaker ${breaker.state.replace("_", "-")}${why}` };
  }
  if (breaker.skip_until !== null && Date.parse(breaker.skip_until) > nowMs)
    return { healthy: false, label: `Busy: skipped until ${whenOf(breaker.skip_until)}` };
  if (probe !== null && !probe.ok)
    return { healthy: false, label: `Unhealthy: probe ${probe.detail ?? "failed"}` };
  return { healthy: true, label: "Healthy" };
}

/**
 * A backend's queue, in words.
 *
 * @example
 * queueOf(backend); // "2 queued, ~1.5 s wait, 1 in flight here"
 */
export function queueOf(backend: Pick<FleetBackend, "load">): string {
  const { load } = backend;
  if (load === null) return "Not reported";
  const parts = [
    load.queue_depth === null ? "queue not reported" : `${load.queue_depth} queued`,
    ...(load.estimated_wait_ms === null ? [] : [`~${(load.estimated_wait_ms / 1000).toFixed(1)} s wait`]),
    `${load.in_flight_here} in flight here`,
  ];
  return parts.join(", ");
}

/**
 * Labels as a person types them, one `name=value` a line, into a key's `metadata`; the first line
 * that is not one is named.
 *
 * @example
 * labelsOf("team=search\ncost-center=42"); // { ok: true, labels: { team: "search", "cost-center": "42" } }
 */
export function labelsOf(
  text: string,
): { ok: true; labels: Record<string, string> } | { ok: false; line: string } {
  const labels: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "") continue;
    const at = line.indexOf("=");
    if (at < 1) return { ok: false, line };
    labels[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return { ok: true, labels };
}

/**
 * A key's labels as the labels field shows them.
 *
 * @example
 * labelsText({ team: "search" }); // "team=search"
 */
export function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([name, value]) => `${name}=${value}`)
    .join("\n");
}

/**
 * A comma- or line-separated list as the API takes it; `null` for an empty one.
 *
 * @example
 * listOf("sd15, sdxl@production"); // ["sd15", "sdxl@production"]
 */
export function listOf(text: string): string[] | null {
  const items = text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return items.length === 0 ? null : items;
}
