import { RUN_STATUSES, type RunListQuery, type RunStatus } from "@sdgate/shared";

/** What the History shows, as its hash query keeps it: `#/history?model=&status=&q=&key=&person=&experiment=`. */
export interface HistoryFilters {
  model: string;
  status: RunStatus | "";
  q: string;
  key: string;
  person: string;
  experiment: string;
}

export const FILTER_NAMES = ["model", "status", "q", "key", "person", "experiment"] as const;
export const NO_FILTERS: HistoryFilters = {
  model: "",
  status: "",
  q: "",
  key: "",
  person: "",
  experiment: "",
};

/**
 * The filters a route's query names; an unknown status is no filter.
 *
 * @example
 * filtersOf(new URLSearchParams("status=failed")); // { ...NO_FILTERS, status: "failed" }
 */
export function filtersOf(query: URLSearchParams): HistoryFilters {
  const status = query.get("status") ?? "";
  return {
    model: query.get("model") ?? "",
    status: RUN_STATUSES.find((known) => known === status) ?? "",
    q: query.get("q") ?? "",
    key: query.get("key") ?? "",
    person: query.get("person") ?? "",
    experiment: query.get("experiment") ?? "",
  };
}

/** The hash query of the filters that are set (for `hrefOf`), in a stable order. */
export function queryOfFilters(filters: HistoryFilters): Record<string, string> {
  const query: Record<string, string> = {};
  for (const name of FILTER_NAMES) if (filters[name] !== "") query[name] = filters[name];
  return query;
}

/** The `GET /v1/runs` query of the filters (a search is trimmed; blank is none). */
export function listQueryOf(filters: HistoryFilters): Omit<RunListQuery, "before"> {
  const q = filters.q.trim();
  return {
    ...(filters.model === "" ? {} : { model: filters.model }),
    ...(filters.status === "" ? {} : { status: filters.status }),
    ...(q === "" ? {} : { q }),
    ...(filters.key === "" ? {} : { key: filters.key }),
    ...(filters.person === "" ? {} : { person: filters.person }),
    ...(filters.experiment === "" ? {} : { experiment: filters.experiment }),
  };
}
