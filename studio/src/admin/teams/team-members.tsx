import { TEAM_ROLES, type TeamMember } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { ActionError, LoadState } from "../action-error.tsx";
import { ActionForm, TextField } from "../action-form.tsx";
import { ConfirmButton } from "../confirm-button.tsx";
import { RoleSelect } from "../role-select.tsx";
import type { SectionProps } from "../section-props.ts";
import { mayEverywhere } from "../sections.ts";
import { TableBox } from "../table-box.tsx";
import { useAction, useLoaded } from "../use-loaded.ts";

type TeamRole = (typeof TEAM_ROLES)[number];

/** Adds a person by id; whoever may list people picks them by email from a list. */
function AddMember(props: SectionProps & { teamId: string; onChange: () => void }) {
  const { session, principal } = props.studio;
  const mayListPeople = mayEverywhere(principal, "members.read");
  const [people] = useLoaded(
    async () => (mayListPeople ? (await session.people.list({ limit: 500 })).data : []),
    [mayListPeople],
  );
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState<TeamRole>("developer");
  const add = useAction(
    () => session.teams.addMember(props.teamId, { user_id: userId.trim(), role }),
    () => {
      setUserId("");
      props.onChange();
    },
  );
  return (
    <ActionForm label="Add a member" onSubmit={add.run}>
      <TextField
        label="Person (usr_… id)"
        name="user_id"
        list="team-people"
        value={userId}
        required
        onInput={setUserId}
        problem={add.problem}
        errorId="member-add-error"
      />
      {people.state === "ok" ? (
        <datalist id="team-people">
          {people.data.map((person) => (
            <option key={person.id} value={person.id}>
              {person.email ?? person.name ?? person.id}
            </option>
          ))}
        </datalist>
      ) : null}
      <label htmlFor="member-role">
        Role
        <RoleSelect id="member-role" roles={TEAM_ROLES} value={role} onChange={setRole} />
      </label>
      <button type="submit" class="primary" disabled={add.busy}>
        Add member
      </button>
      <ActionError id="member-add-error" problem={add.problem} />
    </ActionForm>
  );
}

/** One member: change their role (given by hand from then on) or remove them (asks first). */
function MemberRow(
  props: SectionProps & { teamId: string; member: TeamMember; mayManage: boolean; onChange: () => void },
) {
  const { member, teamId } = props;
  const { session } = props.studio;
  const who = member.email ?? member.name ?? member.user_id;
  const [role, setRole] = useState(member.role as TeamRole);
  const update = useAction(
    () => session.teams.updateMember(teamId, member.user_id, { role }),
    props.onChange,
  );
  const remove = useAction(() => session.teams.removeMember(teamId, member.user_id), props.onChange);
  return (
    <tr>
      <th scope="row">
        {member.name ?? member.email ?? member.user_id}
        <div class="muted">
          {member.email} <code>{member.user_id}</code>
        </div>
      </th>
      <td>
        {props.mayManage ? (
          <RoleSelect roles={TEAM_ROLES} label={`Role of ${who}`} value={role} onChange={setRole} />
        ) : (
          member.role
        )}
      </td>
      <td>{member.source_group === null ? "by hand" : `group ${member.source_group}`}</td>
      {props.mayManage ? (
        <td>
          <div class="actions">
            <button type="button" disabled={update.busy || role === member.role} onClick={update.run}>
              Save role
            </button>
            <ConfirmButton
              label="Remove"
              name={`Remove ${who}`}
              question={`Remove ${who} from the team?`}
              busy={remove.busy}
              onConfirm={remove.run}
            />
            <ActionError problem={update.problem ?? remove.problem} />
          </div>
        </td>
      ) : null}
    </tr>
  );
}

/** A team's members and their roles; add, change and remove them with `members.manage` there. */
export function TeamMembers(props: SectionProps & { teamId: string; mayManage: boolean }) {
  const [members, reload] = useLoaded(() => props.studio.session.teams.members(props.teamId), [props.teamId]);
  return (
    <section aria-labelledby="members-title">
      <h5 id="members-title">Members</h5>
      {props.mayManage ? <AddMember {...props} onChange={reload} /> : null}
      {members.state !== "ok" ? (
        <LoadState loaded={members} />
      ) : (
        <TableBox
          label="Team members"
          columns={["Person", "Role", "Given by", ...(props.mayManage ? ["Actions"] : [])]}
        >
          {members.data.data.map((member) => (
            <MemberRow
              key={`${member.user_id}-${member.role}`}
              {...props}
              member={member}
              onChange={reload}
            />
          ))}
        </TableBox>
      )}
    </section>
  );
}
