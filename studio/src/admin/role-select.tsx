/**
 * A role picker: every role for a role mapping (`admin` is given everywhere), the team roles for a member.
 *
 * @example
 * <RoleSelect roles={TEAM_ROLES} label="Role of ada@example.com" value={role} onChange={setRole} />
 */
export function RoleSelect<R extends string>(props: {
  roles: readonly R[];
  id?: string;
  /** The spoken name when no `<label>` holds it (a select in a table row). */
  label?: string;
  value: R;
  onChange: (role: R) => void;
}) {
  return (
    <select
      id={props.id}
      name="role"
      aria-label={props.label}
      value={props.value}
      onChange={(event) => props.onChange(event.currentTarget.value as R)}
    >
      {props.roles.map((role) => (
        <option key={role} value={role}>
          {role}
        </option>
      ))}
    </select>
  );
}
