import { ROLES, type Role, type RoleMappingView } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { ActionError, LoadState } from "./action-error.tsx";
import { ActionForm, TextField } from "./action-form.tsx";
import { ConfirmButton } from "./confirm-button.tsx";
import { whenOf } from "./format.ts";
import { RoleSelect } from "./role-select.tsx";
import type { SectionProps } from "./section-props.ts";
import { mayEverywhere } from "./sections.ts";
import { TableBox } from "./table-box.tsx";
import type { TeamChoice } from "./teams/team-choices.ts";
import { useTeamChoices } from "./teams/team-choices.ts";
import { TeamSelect } from "./teams/team-select.tsx";
import { useAction, useLoaded } from "./use-loaded.ts";

/** A new rule: a group, a team (or everywhere) and the role its members get. */
function CreateMapping(props: SectionProps & { teams: TeamChoice[]; onChange: () => void }) {
  const [group, setGroup] = useState("");
  const [teamId, setTeamId] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [done, setDone] = useState<string | null>(null);
  const create = useAction(
    () =>
      props.studio.session.roleMappings.create({
        idp_group: group,
        team_id: teamId === "" ? null : teamId,
        role,
      }),
    (rule) => {
      setDone(
        `Added: ${rule.idp_group} → ${rule.role}; ${rule.people_changed.length} people changed at once.`,
      );
      setGroup("");
      props.onChange();
    },
  );
  return (
    <ActionForm label="Add a role mapping" class="card row" onSubmit={create.run}>
      <TextField
        label="Identity provider group"
        name="idp_group"
        value={group}
        required
        onInput={setGroup}
        problem={create.problem}
        errorId="mapping-error"
      />
      <TeamSelect
        label="Team"
        name="team_id"
        teams={props.teams}
        none="Everywhere (a global role)"
        value={teamId}
        onChange={setTeamId}
      />
      <label htmlFor="mapping-role">
        Role
        <RoleSelect id="mapping-role" roles={ROLES} value={role} onChange={setRole} />
      </label>
      <button type="submit" class="primary" disabled={create.busy}>
        Add mapping
      </button>
      <span role="status">{done}</span>
      <ActionError id="mapping-error" problem={create.problem} />
    </ActionForm>
  );
}

/** One rule's row: change its role, or delete it (asks first). */
function MappingRow(props: SectionProps & { rule: RoleMappingView; teamName: string; onChange: () => void }) {
  const { rule } = props;
  const [role, setRole] = useState<Role>(rule.role);
  const mayManage = mayEverywhere(props.studio.principal, "members.manage");
  const update = useAction(() => props.studio.session.roleMappings.update(rule.id, { role }), props.onChange);
  const remove = useAction(() => props.studio.session.roleMappings.delete(rule.id), props.onChange);
  const name = `${rule.idp_group} in ${props.teamName}`;
  return (
    <tr>
      <th scope="row">{rule.idp_group}</th>
      <td>{props.teamName}</td>
      <td>
        {mayManage ? (
          <RoleSelect roles={ROLES} label={`Role for ${name}`} value={role} onChange={setRole} />
        ) : (
          rule.role
        )}
      </td>
      <td>{whenOf(rule.created_at)}</td>
      {mayManage ? (
        <td>
          <div class="actions">
            <button type="button" disabled={role === rule.role || update.busy} onClick={update.run}>
              Save role
            </button>
            <ConfirmButton
              label="Delete"
              name={`Delete mapping ${name}`}
              question={`Delete the rule for ${name}? What it gave ends at once.`}
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

/** The rules that turn identity-provider groups into roles (`/admin/role-mappings`). */
export function RoleMappingsSection(props: SectionProps) {
  const [rules, reload] = useLoaded(() => props.studio.session.roleMappings.list(), []);
  const [teams] = useTeamChoices(props.studio, "members.read");
  const mayManage = mayEverywhere(props.studio.principal, "members.manage");
  const teamList = teams.state === "ok" ? teams.data : [];
  const teamName = (id: string | null) =>
    id === null ? "everywhere" : (teamList.find((team) => team.id === id)?.name ?? id);
  return (
    <>
      {mayManage ? <CreateMapping {...props} teams={teamList} onChange={reload} /> : null}
      {rules.state !== "ok" ? (
        <LoadState loaded={rules} />
      ) : (
        <TableBox
          label="Mapping rules"
          columns={["Group", "Team", "Role", "Added", ...(mayManage ? ["Actions"] : [])]}
        >
          {rules.data.data.map((rule) => (
            <MappingRow
              key={`${rule.id}-${rule.role}`}
              {...props}
              rule={rule}
              teamName={teamName(rule.team_id)}
              onChange={reload}
            />
          ))}
        </TableBox>
      )}
    </>
  );
}
