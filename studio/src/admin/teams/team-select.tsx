import { ChoiceField } from "../../playground/field-controls.tsx";
import type { TeamChoice } from "./team-choices.ts";

/**
 * A labelled team picker, with a first choice for "no team" where the action allows one.
 *
 * @example
 * <TeamSelect label="Team" name="team_id" teams={teams} none="Everywhere (a global role)" value={teamId} onChange={setTeamId} />
 */
export function TeamSelect(props: {
  label: string;
  name: string;
  teams: readonly TeamChoice[];
  /** The words for the empty value (`""`); absent: a team must be picked. */
  none?: string;
  value: string;
  onChange: (teamId: string) => void;
}) {
  const options = [
    ...(props.none === undefined ? [] : [{ value: "", label: props.none }]),
    ...props.teams.map((team) => ({ value: team.id, label: team.name })),
  ];
  return (
    <ChoiceField
      name={props.name}
      label={props.label}
      value={props.value}
      options={options}
      onChange={props.onChange}
    />
  );
}
