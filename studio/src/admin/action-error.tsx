import type { Problem } from "./api-error.ts";

/**
 * The API's answer to a failed action, beside the action, naming the field it is about.
 *
 * @example
 * <ActionError id="team-error" problem={create.problem} />
 */
export function ActionError(props: { id?: string; problem: Problem | null }) {
  const { problem } = props;
  if (problem === null) return null;
  return (
    <p id={props.id} role="alert" class="admin-error">
      {problem.field === null ? null : (
        <>
          <strong>{problem.field}</strong>:{" "}
        </>
      )}
      {problem.message}
    </p>
  );
}

/** What a section shows while its data loads or when it could not. */
export function LoadState(props: { loaded: { state: "loading" } | { state: "error"; problem: Problem } }) {
  return props.loaded.state === "loading" ? (
    <p aria-busy="true">Loading…</p>
  ) : (
    <ActionError problem={props.loaded.problem} />
  );
}
