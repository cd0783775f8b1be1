import type { UsageGroup, UsageView } from "@sdgate/shared";
import { hrefOf } from "../shell/route.ts";

/** The history filter each grouping opens its runs with (`#/history?model=…`). */
const HISTORY_FILTER: Partial<Record<UsageGroup, string>> = { model: "model", key: "key", person: "person" };

/**
 * Where a group's runs are: the history page filtered to it; `null` where history has no such filter
 * (team, backend), for no group, and for a money view (the billing role reads no runs).
 *
 * @example
 * runsHref("model", "sd15", "full"); // "#/history?model=sd15"
 */
export function runsHref(groupBy: UsageGroup, group: string | null, view: UsageView): string | null {
  const filter = HISTORY_FILTER[groupBy];
  if (filter === undefined || group === null || view === "money") return null;
  return hrefOf("history", [], { [filter]: group });
}
