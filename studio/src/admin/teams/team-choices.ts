import type { Permission, Principal } from "@sdgate/shared";
import type { StudioContext } from "../../shell/studio-context.ts";
import { mayEverywhere, teamsWith } from "../sections.ts";
import { type Loaded, useLoaded } from "../use-loaded.ts";

/** A team a section offers, by id and name. */
export interface TeamChoice {
  id: string;
  name: string;
}

function ownTeams(principal: Principal, permission: Permission): TeamChoice[] {
  return teamsWith(principal, permission).map((team) => ({ id: team.id, name: team.name ?? team.id }));
}

/**
 * The teams a section may show for a permission: every team for whoever may list them all (and holds
 * the permission everywhere), else the person's own teams where their role holds it.
 *
 * @example
 * const teams = useTeamChoices(studio, "usage.read");
 */
export function useTeamChoices(
  studio: StudioContext,
  permission: Permission,
): [Loaded<TeamChoice[]>, () => void] {
  const { principal, session } = studio;
  const everyTeam = mayEverywhere(principal, permission) && mayEverywhere(principal, "members.read");
  return useLoaded(
    async () =>
      everyTeam
        ? (await session.teams.list()).data.map((team) => ({ id: team.id, name: team.name }))
        : ownTeams(principal, permission),
    [principal.id, everyTeam],
  );
}
