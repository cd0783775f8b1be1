import type { AuditRow } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { navigate } from "../../shell/route.ts";
import { ActionError, LoadState } from "../action-error.tsx";
import { actorEmailOf, whenOf } from "../format.ts";
import { AUDIT_FILTER_NAMES, auditListQueryOf, filtersIn, filtersOfForm } from "../list-filters.ts";
import type { SectionProps } from "../section-props.ts";
import { TableBox } from "../table-box.tsx";
import { useAction, useLoaded } from "../use-loaded.ts";
import { ChainCheck } from "./chain-check.tsx";

const PAGE_ROWS = 100;

/** A row's `detail`, short enough for a table cell (the whole JSON on hover). */
function detailOf(row: AuditRow): string {
  if (row.detail === null || row.detail === undefined) return "";
  const text = JSON.stringify(row.detail);
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** The filter form; applying it puts the filters in the URL, so a view can be shared; the server applies them. */
function AuditFilterForm(props: { query: URLSearchParams }) {
  const filters = filtersIn(props.query, AUDIT_FILTER_NAMES);
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    navigate("admin", ["audit"], filtersOfForm(form, AUDIT_FILTER_NAMES));
  };
  return (
    <form class="row filters" onSubmit={submit} aria-label="Audit filters">
      <label>
        Action
        <input name="action" placeholder="key.create, or key. for all" defaultValue={filters.action ?? ""} />
      </label>
      <label>
        Actor
        <input name="actor" placeholder="user:usr_…, key_… or email" defaultValue={filters.actor ?? ""} />
      </label>
      <label>
        About
        <input name="target" placeholder="key_…, team_…, usr_…" defaultValue={filters.target ?? ""} />
      </label>
      <label>
        Key id
        <input name="key_id" placeholder="key_…" defaultValue={filters.key_id ?? ""} />
      </label>
      <label>
        From
        <input name="from" type="date" defaultValue={filters.from ?? ""} />
      </label>
      <label>
        Before
        <input name="to" type="date" defaultValue={filters.to ?? ""} />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/**
 * The audit log, newest first, a page at a time (`GET /admin/audit`), filtered by the server (by key,
 * action, actor, target and time, so every page is full); and the chain's verification.
 */
export function AuditSection(props: SectionProps) {
  const { session } = props.studio;
  const filters = props.query.toString();
  const [older, setOlder] = useState<{ rows: AuditRow[]; nextBefore: number | null } | null>(null);
  const [first] = useLoaded(() => {
    setOlder(null);
    return session.audit.list(auditListQueryOf(props.query, PAGE_ROWS));
  }, [filters]);
  const nextBefore = older?.nextBefore ?? (first.state === "ok" ? first.data.next_before : null);
  const more = useAction(
    () =>
      session.audit.list({
        ...auditListQueryOf(props.query, PAGE_ROWS),
        ...(nextBefore === null ? {} : { before: nextBefore }),
      }),
    (page) => setOlder({ rows: [...(older?.rows ?? []), ...page.data], nextBefore: page.next_before }),
  );

  const rows = first.state === "ok" ? [...first.data.data, ...(older?.rows ?? [])] : [];
  return (
    <>
      <ChainCheck session={session} />
      <AuditFilterForm key={filters} query={props.query} />
      {first.state !== "ok" ? (
        <LoadState loaded={first} />
      ) : (
        <>
          <p role="status">
            {rows.length} {rows.length === 1 ? "entry" : "entries"} found
            {nextBefore === null ? "" : ", older ones to load"}.
          </p>
          <TableBox
            label="Audit entries"
            columns={["#", "When", "Actor", "Action", "Status", "Key", "Detail"]}
          >
            {rows.map((row) => (
              <tr key={row.seq}>
                <td>{row.seq}</td>
                <td>{whenOf(row.at)}</td>
                <td>
                  <code>{row.actor}</code>
                  {actorEmailOf(row) === null ? null : <div class="muted">{actorEmailOf(row)}</div>}
                </td>
                <td>
                  <code>{row.action}</code>
                </td>
                <td>{row.status ?? "—"}</td>
                <td>{row.key_id === null ? "—" : <code>{row.key_id}</code>}</td>
                <td class="detail" title={row.detail === null ? undefined : JSON.stringify(row.detail)}>
                  {detailOf(row)}
                </td>
              </tr>
            ))}
          </TableBox>
          {nextBefore === null ? null : (
            <button type="button" disabled={more.busy} onClick={more.run}>
              Older entries
            </button>
          )}
          <ActionError problem={more.problem} />
        </>
      )}
    </>
  );
}
