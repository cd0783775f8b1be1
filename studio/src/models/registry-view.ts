import type { Alias, Fleet, PromotionRequest, SplitView } from "@sdgate/shared";
import { duration, percent, when } from "./format.ts";

/**
 * The aliases that point at each version, by version label: what the models list and the versions
 * table show beside a version.
 *
 * @example
 * aliasesByVersion([{ name: "production", version: "v1" }]).get("v1"); // ["production"]
 */
export function aliasesByVersion(aliases: readonly Pick<Alias, "name" | "version">[]): Map<string, string[]> {
  const byVersion = new Map<string, string[]>();
  for (const alias of aliases)
    byVersion.set(alias.version, [...(byVersion.get(alias.version) ?? []), alias.name]);
  for (const names of byVersion.values()) names.sort();
  return byVersion;
}

/**
 * Where a version is served: the backends whose signed status last reported these files for the
 * model (the edge routes a version only to them), or `null` while no backend has reported any.
 *
 * @example
 * servedBy(fleet, "tiny", version.digest); // ["cpu-1", "cpu-2"]
 */
export function servedBy(fleet: Pick<Fleet, "backends">, modelId: string, digest: string): string[] | null {
  if (fleet.backends.every((backend) => backend.versions === null)) return null;
  return fleet.backends.filter((backend) => backend.versions?.[modelId] === digest).map((b) => b.name);
}

/** Pending requests first (they wait on someone), then the rest newest first, as the API sent them. */
export function pendingFirst(requests: readonly PromotionRequest[]): PromotionRequest[] {
  return [...requests].sort((a, b) => Number(b.status === "pending") - Number(a.status === "pending"));
}

/**
 * One sentence on an alias's canary split: running (weight, where to, budgets) or not, and how the
 * last one ended, so a rollback the watch made by itself is seen.
 *
 * @example
 * splitSummary(view); // "10 % of production goes to canary (v2); rolls back past 5.0 % errors or p95 1.0 min …"
 */
export function splitSummary(view: SplitView): string {
  const { split } = view;
  const running =
    split === null
      ? `No canary split: all of ${view.alias} goes to ${view.stable_version ?? "no version"}.`
      : `${split.weight} % of ${view.alias} goes to ${split.to_alias} (${view.canary_version ?? "no version"}), ` +
        `the rest to ${view.stable_version ?? "no version"}; rolls back past ${percent(split.max_error_rate)} errors ` +
        `or a p95 above ${duration(split.max_p95_ms)}, after ${split.min_requests} canary requests.`;
  const ended = view.last_ended;
  if (ended === null) return running;
  const how = ended.reason === "rolled_back" ? "rolled back by itself" : "stopped";
  return `${running} The last split was ${how} on ${when(ended.ended_at)} (by ${ended.ended_by}).`;
}

/**
 * Where a version stands: the aliases it serves as (each got there by an approved promotion or the
 * model's bootstrap), and the aliases it waits on approval for.
 *
 * @example
 * versionState("v2", aliases, requests); // "awaiting approval for staging"
 */
export function versionState(
  version: string,
  aliases: readonly Pick<Alias, "name" | "version">[],
  requests: readonly Pick<PromotionRequest, "to_version" | "alias" | "status">[],
): string {
  const serving = aliases.filter((alias) => alias.version === version).map((alias) => alias.name);
  const waiting = requests
    .filter((request) => request.status === "pending" && request.to_version === version)
    .map((request) => request.alias);
  const parts = [
    ...(serving.length === 0 ? [] : [`serves ${serving.sort().join(", ")}`]),
    ...(waiting.length === 0 ? [] : [`awaiting approval for ${[...new Set(waiting)].sort().join(", ")}`]),
  ];
  return parts.length === 0 ? "registered, on no alias" : parts.join("; ");
}
