import type { ComponentChildren } from "preact";
import type { Problem } from "./api-error.ts";
import { invalidProps } from "./api-error.ts";

/**
 * A form that runs one action on submit (Enter in any field, or its button), named for screen readers.
 *
 * @example
 * <ActionForm label="Create a team" class="card row" onSubmit={create.run}>…</ActionForm>
 */
export function ActionForm(props: {
  label: string;
  class?: string;
  onSubmit: () => void | Promise<void>;
  children: ComponentChildren;
}) {
  return (
    <form
      class={props.class ?? "row"}
      aria-label={props.label}
      onSubmit={(event) => {
        event.preventDefault();
        void props.onSubmit();
      }}
    >
      {props.children}
    </form>
  );
}

/**
 * A labelled text field whose value the API checks: marked invalid, and described by the error line,
 * when the API's answer names its field.
 *
 * @example
 * <TextField label="Team name" name="name" value={name} onInput={setName} problem={rename.problem} errorId="rename-error" />
 */
export function TextField(props: {
  label: string;
  /** The body field the API names in its errors (`limits` for `limits.requests_per_minute`). */
  name: string;
  value: string;
  onInput: (value: string) => void;
  problem: Problem | null;
  errorId: string;
  type?: "text" | "url" | "email" | "datetime-local";
  numeric?: boolean;
  placeholder?: string;
  required?: boolean;
  disabled?: boolean;
  list?: string;
}) {
  return (
    <label>
      {props.label}
      <input
        name={props.name}
        type={props.type ?? "text"}
        inputMode={props.numeric ? "numeric" : undefined}
        placeholder={props.placeholder}
        required={props.required}
        disabled={props.disabled}
        list={props.list}
        value={props.value}
        onInput={(event) => props.onInput(event.currentTarget.value)}
        {...invalidProps(props.problem, props.name, props.errorId)}
      />
    </label>
  );
}
