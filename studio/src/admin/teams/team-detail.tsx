import { useState } from "preact/hooks";
import { navigate } from "../../shell/route.ts";
import { ActionError, LoadState } from "../action-error.tsx";
import { ActionForm, TextField } from "../action-form.tsx";
import { ConfirmButton } from "../confirm-button.tsx";
import type { SectionProps } from "../section-props.ts";
import { mayEverywhere, mayInTeam } from "../sections.ts";
import { useAction, useLoaded } from "../use-loaded.ts";
import { TeamMembers } from "./team-members.tsx";
import { TeamModels } from "./team-models.tsx";

/** Rename and delete (asks first; the API refuses while the team owns a working key). */
function TeamSettings(props: SectionProps & { teamId: string; name: string; onChange: () => void }) {
  const [name, setName] = useState(props.name);
  const rename = useAction(() => props.studio.session.teams.rename(props.teamId, name), props.onChange);
  const remove = useAction(
    () => props.studio.session.teams.delete(props.teamId),
    () => {
      props.onChange();
      navigate("admin", ["teams"]);
    },
  );
  return (
    <div class="row">
      <ActionForm label="Rename the team" onSubmit={rename.run}>
        <TextField
          label="Team name"
          name="name"
          value={name}
          onInput={setName}
          problem={rename.problem}
          errorId="team-rename-error"
        />
        <button type="submit" disabled={rename.busy || name === props.name}>
          Rename
        </button>
        <ActionError id="team-rename-error" problem={rename.problem} />
      </ActionForm>
      <ConfirmButton
        label="Delete team"
        question={`Delete ${props.name} with its memberships and role mappings?`}
        busy={remove.busy}
        onConfirm={remove.run}
      />
      <ActionError problem={remove.problem} />
    </div>
  );
}

/** One team: its name, members and granted models, with what the person's roles let them change. */
export function TeamDetail(props: SectionProps & { teamId: string; onChange: () => void }) {
  const { session, principal } = props.studio;
  const [team, reload] = useLoaded(() => session.teams.get(props.teamId), [props.teamId]);
  if (team.state !== "ok") return <LoadState loaded={team} />;
  const changed = () => {
    reload();
    props.onChange();
  };
  return (
    <article class="card" aria-labelledby="team-title">
      <h4 id="team-title">
        {team.data.name} <code>{team.data.id}</code>
      </h4>
      {mayEverywhere(principal, "teams.manage") ? (
        <TeamSettings key={team.data.name} {...props} name={team.data.name} onChange={changed} />
      ) : null}
      <TeamMembers {...props} mayManage={mayInTeam(principal, "members.manage", props.teamId)} />
      <TeamModels {...props} mayManage={mayEverywhere(principal, "policies.manage")} />
    </article>
  );
}
