import type { AuditRow } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { navigate } from "../../shell/route.ts";
import { ActionError, LoadState } from "../action-error.tsx";
import { actorEmailOf, filterAudit, whenOf } from "../format.ts";
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

/** The filter form; applying it puts the filters in the URL, so a view can be shared. */
function AuditFilterForm(props: { query: URLSearchParams }) {
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const query: Record<string, string> = {};
    for (const name of ["key_id", "action", "actor"]) {
      const value = String(form.get(name) ?? "").trim();
      if (value !== "") query[name] = value;
    }
    navigate("admin", ["audit"], query);
  };
  return (
    <form class="row filters" onSubmit={submit} aria-label="Audit filters">
      <label>
        Key id
        <input name="key_id" placeholder="key_…" defaultValue={props.query.get("key_id") ?? ""} />
      </label>
      <label>
        Action contains
        <input name="action" placeholder="key.create" defaultValue={props.query.get("action") ?? ""} />
      </label>
      <label>
        Actor contains
        <input name="actor" placeholder="user:usr_…" defaultValue={props.query.get("actor") ?? ""} />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/**
 * The audit log, newest first, a page at a time (`GET /admin/audit`): by key on the server, by action
 * and actor on each page; and the chain's verification.
 */
export function AuditSection(props: SectionProps) {
  const { session } = props.studio;
  const keyId = props.query.get("key_id") ?? "";
  const filters = { action: props.query.get("action") ?? "", actor: props.query.get("actor") ?? "" };
  const [older, setOlder] = useState<{ rows: AuditRow[]; nextBefore: number | null } | null>(null);
  const [first] = useLoaded(() => {
    setOlder(null);
    return session.audit.list({ limit: PAGE_ROWS, ...(keyId === "" ? {} : { key_id: keyId }) });
  }, [keyId]);
  const nextBefore = older?.nextBefore ?? (first.state === "ok" ? first.data.next_before : null);
  const more = useAction(
    () =>
      session.audit.list({
        limit: PAGE_ROWS,
        ...(keyId === "" ? {} : { key_id: keyId }),
        ...(nextBefore === null ? {} : { before: nextBefore }),
      }),
    (page) => setOlder({ rows: [...(older?.rows ?? []), ...page.data], nextBefore: page.next_before }),
  );

  const rows = first.state === "ok" ? [...first.data.data, ...(older?.rows ?? [])] : [];
  const shown = filterAudit(rows, filters);
  return (
    <>
      <ChainCheck session={session} />
      <AuditFilterForm key={props.query.toString()} query={props.query} />
      {first.state !== "ok" ? (
        <LoadState loaded={first} />
      ) : (
        <>
          <p role="status">
            {shown.length} of {rows.length} loaded entries shown
            {nextBefore === null ? " (the whole log)" : ""}.
          </p>
          <TableBox
            label="Audit entries"
            columns={["#", "When", "Actor", "Action", "Status", "Key", "Detail"]}
          >
            {shown.map((row) => (
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
