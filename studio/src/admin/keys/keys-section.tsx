import { KEY_STATUSES, type KeyStatus, type KeyView } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { navigate } from "../../shell/route.ts";
import { ActionError, LoadState } from "../action-error.tsx";
import { creditsOf, whenOf } from "../format.ts";
import { filtersIn, filtersOfForm, KEY_FILTER_NAMES, keyListQueryOf } from "../list-filters.ts";
import type { SectionProps } from "../section-props.ts";
import { mayEverywhere, teamsWith } from "../sections.ts";
import { TableBox } from "../table-box.tsx";
import { type TeamChoice, useTeamChoices } from "../teams/team-choices.ts";
import { useAction, useLoaded } from "../use-loaded.ts";
import { KeyActions } from "./key-actions.tsx";
import { KeyCreate } from "./key-create.tsx";

const PAGE_KEYS = 100;
const STATUSES: ReadonlyArray<KeyStatus | ""> = ["", ...KEY_STATUSES];

function limitsOf(key: KeyView): string {
  const { limits } = key;
  const parts = [`${limits.requests_per_minute}/min`, `${limits.concurrency} at once`];
  if (limits.monthly_credits != null) parts.push(`${creditsOf(limits.monthly_credits)} a month`);
  if (limits.credits !== null) parts.push(creditsOf(limits.credits));
  return parts.join(", ");
}

/** The filters, kept in the URL (`#/admin/keys?q=ci&status=active`) and applied by the server. */
function KeyFilterForm(props: { query: URLSearchParams; teams: readonly TeamChoice[] }) {
  const filters = filtersIn(props.query, KEY_FILTER_NAMES);
  const submit = (event: Event) => {
    event.preventDefault();
    navigate(
      "admin",
      ["keys"],
      filtersOfForm(new FormData(event.currentTarget as HTMLFormElement), KEY_FILTER_NAMES),
    );
  };
  return (
    <form class="row filters" onSubmit={submit} aria-label="Key filters">
      <label>
        Name, id or prefix
        <input name="q" defaultValue={filters.q ?? ""} />
      </label>
      <label>
        Status
        <select name="status" defaultValue={filters.status ?? ""}>
          {STATUSES.map((status) => (
            <option key={status} value={status}>
              {status === "" ? "any" : status}
            </option>
          ))}
        </select>
      </label>
      <label>
        Team
        <select name="team_id" defaultValue={filters.team_id ?? ""}>
          <option value="">any</option>
          {props.teams.map((team) => (
            <option key={team.id} value={team.id}>
              {team.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Made by
        <input name="created_by" placeholder="usr_…" defaultValue={filters.created_by ?? ""} />
      </label>
      <button type="submit">Filter</button>
    </form>
  );
}

/** API keys (`/admin/keys`): find them, make one (its secret shown once), rotate, edit, revoke. */
export function KeysSection(props: SectionProps) {
  const { session, principal } = props.studio;
  const [more, setMore] = useState<{ keys: KeyView[]; cursor: string | null } | null>(null);
  const filters = props.query.toString();
  const [first, reload] = useLoaded(() => {
    setMore(null);
    return session.keys.list(keyListQueryOf(props.query, PAGE_KEYS));
  }, [filters]);
  const [teams] = useTeamChoices(props.studio, "keys.create");
  const [filterTeams] = useTeamChoices(props.studio, "keys.read");
  const cursor = more?.cursor ?? (first.state === "ok" ? first.data.next_cursor : null);
  const next = useAction(
    () =>
      session.keys.list({
        ...keyListQueryOf(props.query, PAGE_KEYS),
        ...(cursor === null ? {} : { cursor }),
      }),
    (page) => setMore({ keys: [...(more?.keys ?? []), ...page.data], cursor: page.next_cursor }),
  );
  const everywhere = mayEverywhere(principal, "keys.create");
  const mayCreate = everywhere || teamsWith(principal, "keys.create").length > 0;
  const mayManage = mayEverywhere(principal, "keys.manage");
  const keys = first.state === "ok" ? [...first.data.data, ...(more?.keys ?? [])] : [];
  return (
    <>
      {mayCreate && teams.state === "ok" ? (
        <KeyCreate {...props} teams={teams.data} everywhere={everywhere} onChange={reload} />
      ) : null}
      <KeyFilterForm
        key={filters}
        query={props.query}
        teams={filterTeams.state === "ok" ? filterTeams.data : []}
      />
      {first.state !== "ok" ? (
        <LoadState loaded={first} />
      ) : (
        <>
          <p role="status">
            {keys.length} {keys.length === 1 ? "key" : "keys"} found
            {cursor === null ? "" : ", more to load"}.
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
            {keys.map((key) => (
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
