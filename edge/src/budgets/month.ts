/**
 * The UTC calendar months that monthly budgets count in: a budget starts again at 00:00 UTC on the
 * first of each month, whatever the caller's time zone.
 */

/** The UTC month `ms` lies in, as budgets name it: `2026-12`. */
export function monthOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 7);
}

/** The first instant (ms since the epoch) of the UTC month after the one `ms` lies in. */
export function nextMonthStartMs(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** The first instant of the UTC month `ms` lies in. */
export function monthStartMs(ms: number): number {
  const date = new Date(ms);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** Whole seconds from `ms` until the month turns, at least 1: a budget's `Retry-After`. */
export function secondsUntilNextMonth(ms: number): number {
  return Math.max(1, Math.ceil((nextMonthStartMs(ms) - ms) / 1000));
}

/** The day a budget starts again, for people: `2027-01-01`. */
export function resetDayOf(ms: number): string {
  return new Date(nextMonthStartMs(ms)).toISOString().slice(0, 10);
}
