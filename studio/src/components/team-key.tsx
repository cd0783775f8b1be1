import { isSdgateApiError } from "@sdgate/sdk";
import { type Principal, ROLE_PERMISSIONS } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { sessionClient } from "../session-client.ts";
import { forgetKey, type StudioKey, storedKey, storeKey } from "../studio-key.ts";

interface TeamChoice {
  id: string | null;
  name: string;
}

/** The teams where this person may make a key: their own with `keys.create`, and "no team" for an admin. */
export function teamsOf(principal: Principal): TeamChoice[] {
  const teams: TeamChoice[] = principal.teams
    .filter((team) => ROLE_PERMISSIONS[team.role].includes("keys.create"))
    .map((team) => ({ id: team.id, name: team.name ?? team.id }));
  if (principal.roles.includes("admin")) teams.push({ id: null, name: "No team (deployment-wide, admin)" });
  return teams;
}

const message = (error: unknown) => (isSdgateApiError(error) ? error.message : String(error));

/**
 * The person's team and their Studio key in it: made once through the admin API on their session,
 * then kept in this browser. Shows what the key is and lets the person forget it.
 */
export function TeamKey(props: { principal: Principal; onKey: (key: StudioKey | null) => void }) {
  const teams = teamsOf(props.principal);
  const [teamIndex, setTeamIndex] = useState(0);
  const team = teams[teamIndex];
  const [key, setKey] = useState<StudioKey | null>(() => (team ? storedKey(team.id) : null));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const choose = (index: number) => {
    setTeamIndex(index);
    const kept = storedKey(teams[index]?.id ?? null);
    setKey(kept);
    props.onKey(kept);
  };

  const create = async () => {
    if (team === undefined) return;
    setBusy(true);
    setError(null);
    try {
      const person = props.principal.name ?? props.principal.email ?? props.principal.id;
      const created = await sessionClient().keys.create({
        name: `Studio · ${person}`.slice(0, 100),
        ...(team.id === null ? {} : { team_id: team.id }),
        scopes: ["generate", "read"],
      });
      const made: StudioKey = { id: created.id, key: created.key, name: created.name, teamId: team.id };
      storeKey(made);
      setKey(made);
      props.onKey(made);
    } catch (failure) {
      setError(message(failure));
    } finally {
      setBusy(false);
    }
  };

  const forget = () => {
    if (team === undefined) return;
    forgetKey(team.id);
    setKey(null);
    props.onKey(null);
  };

  if (team === undefined)
    return (
      <section class="card" aria-labelledby="key-title">
        <h2 id="key-title">No team to generate in</h2>
        <p>You are signed in, but no team gives you a role that may make keys (developer or team admin).</p>
      </section>
    );

  return (
    <section class="card key" aria-labelledby="key-title">
      <h2 id="key-title">Your Studio key</h2>
      <label>
        Team
        <select value={teamIndex} onChange={(event) => choose(Number(event.currentTarget.value))}>
          {teams.map((choice, index) => (
            <option key={choice.id ?? "-"} value={index}>
              {choice.name}
            </option>
          ))}
        </select>
      </label>
      {key === null ? (
        <>
          <p>
            The Studio generates with an API key of your own in this team (scopes: generate, read), made once
            and kept in this browser.
          </p>
          <button type="button" onClick={create} disabled={busy}>
            Create my Studio key
          </button>
        </>
      ) : (
        <>
          <p>
            Using <strong>{key.name}</strong> (<code>{key.id}</code>, ending …{key.key.slice(-4)}), an API key
            kept in this browser. Forgetting it here does not revoke it; an admin can, under Keys.
          </p>
          <button type="button" class="secondary" onClick={forget}>
            Forget this key
          </button>
        </>
      )}
      {error === null ? null : <p role="alert">{error}</p>}
    </section>
  );
}
