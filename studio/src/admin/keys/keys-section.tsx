import type { KeyView } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { navigate } from "../../shell/route.ts";
import { ActionError, LoadState } from "../action-error.tsx";
import { creditsOf, filterKeys, type KeyFilters, whenOf } from "../format.ts";
import type { SectionProps } from "../section-props.ts";
import { mayEverywhere, teamsWith } from "../sections.ts";
import { TableBox } from "../table-box.tsx";
import { useTeamChoices } from "../teams/team-choices.ts";
import { useAction, useLoaded } from "../use-loaded.ts";
import { KeyActions } from "./key-actions.tsx";
import { KeyCreate } from "./key-create.tsx";

const PAGE_KEYS = 100;
const STATUSES: ReadonlyArray<KeyFilters["status"]> = ["", "active", "revoked", "expired"];

function limitsOf(key: KeyView): string {
  const { limits } = key;
  const parts = [`${limits.requests_per_minute}/min`, `${limits.concurrency} at once`];
  if (limits.monthly_credits != null) parts.push(`${creditsOf(limits.monthly_credits)} a month`);
  if (limits.credits !== null) parts.push(creditsOf(limits.credits));
  return parts.join(", ");
}

/** The filters, kept in the URL (`#/admin/keys?q=ci&status=active`). */
function KeyFilterForm(props: { filters: KeyFilters }) {
  const submit = (event: Event) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget as HTMLFormElement);
    const q = String(form.get("q") ?? "").trim();
    const status = String(form.get("status") ?? "");
    navigate("admin", ["keys"], { ...(q === "" ? {} : { q }), ...(status === "" ? {} : { status }) });
  };
  return (
    <form class="row filters" onSubmit={submit} aria-label="Key filters">
      <label>
        Name, id, prefix or label
        <input name="q" defaultValue={props.filters.text} />
      </label>
      <label>
        Status
        <select name="status" defaultValue={props.filters.status}>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {status === "" ? "any" : status}
            </option>
          ))}
        </select>
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/** API keys (`/admin/keys`): find them, make one (its secret shown once), rotate, edit, revoke. */
export function KeysSection(props: SectionProps) {
  const { session, principal } = props.studio;
  const statusParam = props.query.get("status") ?? "";
  const filters: KeyFilters = {
    text: props.query.get("q") ?? "",
    status: (STATUSES as readonly string[]).includes(statusParam)
      ? (statusParam as KeyFilters["status"])
      : "",
  };
  const [more, setMore] = useState<{ keys: KeyView[]; cursor: string | null } | null>(null);
  const [first, reload] = useLoaded(() => {
    setMore(null);
    return session.keys.list({ limit: PAGE_KEYS });
  }, []);
  const [teams] = useTeamChoices(props.studio, "keys.create");
  const cursor = more?.cursor ?? (first.state === "ok" ? first.data.next_cursor : null);
  const next = useAction(
    () => session.keys.list({ limit: PAGE_KEYS, ...(cursor === null ? {} : { cursor }) }),
    (page) => setMore({ keys: [...(more?.keys ?? []), ...page.data], cursor: page.next_cursor }),
  );
  const everywhere = mayEverywhere(principal, "keys.create");
  const mayCreate = everywhere || teamsWith(principal, "keys.create").length > 0;
  const mayManage = mayEverywhere(principal, "keys.manage");
  const keys = first.state === "ok" ? [...first.data.data, ...(more?.keys ?? [])] : [];
  const shown = filterKeys(keys, filters);
  return (
    <>
      {mayCreate && teams.state === "ok" ? (
        <KeyCreate {...props} teams={teams.data} everywhere={everywhere} onChange={reload} />
      ) : null}
      <KeyFilterForm key={props.query.toString()} filters={filters} />
      {first.state !== "ok" ? (
        <LoadState loaded={first} />
      ) : (
        <>
          <p role="status">
            {shown.length} of {keys.length} loaded keys shown.
          </p>
          <TableBox
            label="Key list"
            columns={[
              "Key",
              "Status",
              "Scopes",
              "Limits",
              "Labels",
              "Last used",
              ...(mayManage ? ["Actions"] : []),
            ]}
          >
            {shown.map((key) => (
              <tr key={`${key.id}-${key.status}`}>
                <th scope="row">
                  {key.name}
                  <div class="muted">
                    <code>{key.id}</code> <code>{key.prefix}…</code>
                  </div>
                </th>
                <td>
                  <span class={key.status === "active" ? "badge ok" : "badge bad"}>{key.status}</span>
                  {key.expires_at === null ? null : <div class="muted">expires {whenOf(key.expires_at)}</div>}
                </td>
                <td>{key.scopes.join(", ")}</td>
                <td>{limitsOf(key)}</td>
                <td>
                  {Object.entries(key.metadata)
                    .map(([name, value]) => `${name}=${value}`)
                    .join(", ") || "—"}
                </td>
                <td>{whenOf(key.last_used_at)}</td>
                {mayManage ? (
                  <td>
                    <KeyActions {...props} apiKey={key} mayManage={mayManage} onChange={reload} />
                  </td>
                ) : null}
              </tr>
            ))}
          </TableBox>
          {cursor === null ? null : (
            <button type="button" disabled={next.busy} onClick={next.run}>
              More keys
            </button>
          )}
          <ActionError problem={next.problem} />
        </>
      )}
    </>
  );
}
