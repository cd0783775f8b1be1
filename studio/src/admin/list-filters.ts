import type { AuditListQuery, KeyListQuery, KeyStatus } from "@sdgate/shared";

/** The key list's filters in the URL (`#/admin/keys?q=ci&status=active`), named as `GET /admin/keys` takes them. */
export const KEY_FILTER_NAMES = ["q", "status", "team_id", "created_by"] as const;
/** The audit log's filters in the URL, named as `GET /admin/audit` takes them. */
export const AUDIT_FILTER_NAMES = ["key_id", "action", "actor", "target", "from", "to"] as const;

/**
 * The filters a URL names (`names` only), without the empty ones: what the form and the API share.
 *
 * @example
 * filtersIn(new URLSearchParams("q=ci&status="), KEY_FILTER_NAMES); // { q: "ci" }
 */
export function filtersIn<N extends string>(
  query: URLSearchParams,
  names: readonly N[],
): Partial<Record<N, string>> {
  const filters: Partial<Record<N, string>> = {};
  for (const name of names) {
    const value = query.get(name)?.trim() ?? "";
    if (value !== "") filters[name] = value;
  }
  return filters;
}

/**
 * The key list's query from the URL: its filters go to the server, which checks them (a status edited
 * into the URL by hand comes back as a 400 naming `status`, shown as the list's problem).
 *
 * @example
 * keyListQueryOf(new URLSearchParams("status=active"), 100); // { limit: 100, status: "active" }
 */
export function keyListQueryOf(query: URLSearchParams, limit: number): KeyListQuery {
  const { status, ...rest } = filtersIn(query, KEY_FILTER_NAMES);
  return { limit, ...rest, ...(status === undefined ? {} : { status: status as KeyStatus }) };
}

/**
 * The audit log's query from the URL, its filters checked by the server.
 *
 * @example
 * auditListQueryOf(new URLSearchParams("action=key."), 100); // { limit: 100, action: "key." }
 */
export function auditListQueryOf(query: URLSearchParams, limit: number): AuditListQuery {
  return { limit, ...filtersIn(query, AUDIT_FILTER_NAMES) };
}

/**
 * A filter form's fields as the URL keeps them, empty ones left out.
 *
 * @example
 * filtersOfForm(new FormData(form), AUDIT_FILTER_NAMES); // { action: "key." }
 */
export function filtersOfForm<N extends string>(form: FormData, names: readonly N[]): Record<string, string> {
  const query = new URLSearchParams();
  for (const name of names) query.set(name, String(form.get(name) ?? ""));
  return filtersIn(query, names) as Record<string, string>;
}
