import type { Person } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { navigate } from "../shell/route.ts";
import { ActionError, LoadState } from "./action-error.tsx";
import { ConfirmButton } from "./confirm-button.tsx";
import { whenOf } from "./format.ts";
import type { SectionProps } from "./section-props.ts";
import { mayEverywhere } from "./sections.ts";
import { TableBox } from "./table-box.tsx";
import { useAction, useLoaded } from "./use-loaded.ts";

/** A person's teams and roles, as their memberships say (a global role reads "everywhere"). */
function Memberships(props: { person: Person }) {
  if (props.person.memberships.length === 0) return <>No role</>;
  return (
    <ul class="plain">
      {props.person.memberships.map((membership) => (
        <li key={`${membership.team_id}-${membership.role}`}>
          {membership.role}{" "}
          {membership.team_id === null ? "everywhere" : `in ${membership.team_name ?? membership.team_id}`}
          {membership.source_group === null ? " (by hand)" : ` (group ${membership.source_group})`}
        </li>
      ))}
    </ul>
  );
}

/** Deprovision (asks first: it signs them out and revokes their keys) or enable one person. */
function PersonActions(props: SectionProps & { person: Person; onChange: () => void }) {
  const { person } = props;
  const who = person.email ?? person.name ?? person.id;
  const [done, setDone] = useState<string | null>(null);
  const deprovision = useAction(
    () => props.studio.session.people.deprovision(person.id),
    (result) => {
      setDone(
        `${who}: ${result.sessions_revoked} sessions ended, ${result.keys_revoked.length} keys revoked.`,
      );
      props.onChange();
    },
  );
  const enable = useAction(
    () => props.studio.session.people.enable(person.id),
    () => {
      setDone(`${who} may sign in again.`);
      props.onChange();
    },
  );
  return (
    <div class="actions">
      {person.disabled_at === null ? (
        <ConfirmButton
          label="Deprovision"
          name={`Deprovision ${who}`}
          question={`Deprovision ${who}? They are signed out everywhere and the keys they made are revoked.`}
          busy={deprovision.busy}
          onConfirm={deprovision.run}
        />
      ) : (
        <button type="button" aria-label={`Enable ${who}`} disabled={enable.busy} onClick={enable.run}>
          Enable
        </button>
      )}
      <span role="status">{done}</span>
      <ActionError problem={deprovision.problem ?? enable.problem} />
    </div>
  );
}

/** Everyone who has signed in (`GET /admin/people`), with their groups, teams and roles. */
export function PeopleSection(props: SectionProps) {
  const { session, principal } = props.studio;
  const email = props.query.get("email") ?? "";
  const [cursor, setCursor] = useState<string | null>(null);
  const [people, reload] = useLoaded(
    () =>
      session.people.list({
        limit: 50,
        ...(email === "" ? {} : { email }),
        ...(cursor === null ? {} : { cursor }),
      }),
    [email, cursor],
  );
  const mayManage = mayEverywhere(principal, "members.manage");
  const search = (event: Event) => {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget as HTMLFormElement).get("email") ?? "").trim();
    setCursor(null);
    navigate("admin", ["people"], value === "" ? {} : { email: value });
  };
  return (
    <>
      <form class="row filters" onSubmit={search} aria-label="Find people">
        <label>
          Email
          <input name="email" type="email" defaultValue={email} key={email} placeholder="ada@example.com" />
        </label>
        <button type="submit">Find</button>
      </form>
      {people.state !== "ok" ? (
        <LoadState loaded={people} />
      ) : (
        <>
          <TableBox
            label="People list"
            columns={[
              "Person",
              "Teams and roles",
              "Groups",
              "Last sign-in",
              "Status",
              ...(mayManage ? ["Actions"] : []),
            ]}
          >
            {people.data.data.map((person) => (
              <tr key={person.id}>
                <th scope="row">
                  {person.name ?? person.email ?? person.id}
                  <div class="muted">
                    {person.email} <code>{person.id}</code>
                  </div>
                </th>
                <td>
                  <Memberships person={person} />
                </td>
                <td>{person.groups.length === 0 ? "—" : person.groups.join(", ")}</td>
                <td>{whenOf(person.last_sign_in_at)}</td>
                <td>
                  {person.disabled_at === null ? "Active" : `Deprovisioned ${whenOf(person.disabled_at)}`}
                </td>
                {mayManage ? (
                  <td>
                    <PersonActions {...props} person={person} onChange={reload} />
                  </td>
                ) : null}
              </tr>
            ))}
          </TableBox>
          <div class="row">
            {cursor === null ? null : (
              <button type="button" onClick={() => setCursor(null)}>
                First page
              </button>
            )}
            {people.data.next_cursor === null ? null : (
              <button type="button" onClick={() => setCursor(people.data.next_cursor)}>
                Next page
              </button>
            )}
          </div>
        </>
      )}
    </>
  );
}
