import { useState } from "preact/hooks";
import { hrefOf } from "../../shell/route.ts";
import { ActionError, LoadState } from "../action-error.tsx";
import { ActionForm, TextField } from "../action-form.tsx";
import type { SectionProps } from "../section-props.ts";
import { mayEverywhere } from "../sections.ts";
import { useAction } from "../use-loaded.ts";
import { useTeamChoices } from "./team-choices.ts";
import { TeamDetail } from "./team-detail.tsx";

/** A new team, by name (unique whatever its case). */
function CreateTeam(props: SectionProps & { onChange: () => void }) {
  const [name, setName] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const create = useAction(
    () => props.studio.session.teams.create(name),
    (team) => {
      setDone(`Created ${team.name}.`);
      setName("");
      props.onChange();
    },
  );
  return (
    <ActionForm label="Create a team" class="card row" onSubmit={create.run}>
      <TextField
        label="New team's name"
        name="name"
        value={name}
        required
        onInput={setName}
        problem={create.problem}
        errorId="team-create-error"
      />
      <button type="submit" class="primary" disabled={create.busy}>
        Create team
      </button>
      <span role="status">{done}</span>
      <ActionError id="team-create-error" problem={create.problem} />
    </ActionForm>
  );
}

/**
 * Teams: every team for an admin (create, rename, delete), or the person's own where they may read
 * members; `#/admin/teams/<id>` opens one with its members and granted models.
 */
export function TeamsSection(props: SectionProps) {
  const [teams, reload] = useTeamChoices(props.studio, "members.read");
  const open = props.params[0];
  return (
    <>
      {mayEverywhere(props.studio.principal, "teams.manage") ? (
        <CreateTeam {...props} onChange={reload} />
      ) : null}
      {teams.state !== "ok" ? (
        <LoadState loaded={teams} />
      ) : (
        <nav aria-label="Teams" class="team-list">
          {teams.data.length === 0 ? <p>No teams yet.</p> : null}
          <ul>
            {teams.data.map((team) => (
              <li key={team.id}>
                <a
                  href={hrefOf("admin", ["teams", team.id])}
                  aria-current={team.id === open ? "page" : undefined}
                >
                  {team.name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      )}
      {open === undefined ? (
        <p>Open a team to see its members and the models granted to it.</p>
      ) : (
        <TeamDetail key={open} {...props} teamId={open} onChange={reload} />
      )}
    </>
  );
}
