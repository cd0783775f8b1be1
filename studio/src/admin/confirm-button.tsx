import { useEffect, useRef, useState } from "preact/hooks";

/**
 * A destructive action that asks first: pressing it shows what will happen, with Confirm (focused, so
 * Enter confirms) and Cancel (or Escape), in place, so it works the same from the keyboard.
 *
 * @example
 * <ConfirmButton label="Revoke" question={`Revoke ${key.name}? It stops working everywhere at once.`} onConfirm={revoke.run} />
 */
export function ConfirmButton(props: {
  label: string;
  /** The control's spoken name when the label alone is ambiguous in a list (`Revoke key ci`). */
  name?: string;
  question: string;
  busy?: boolean;
  onConfirm: () => void | Promise<void>;
}) {
  const [asking, setAsking] = useState(false);
  const confirm = useRef<HTMLButtonElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
  }, [asking]);
  const cancel = () => {
    setAsking(false);
    queueMicrotask(() => opener.current?.focus());
  };
  if (!asking)
    return (
      <button
        type="button"
        class="danger"
        ref={opener}
        aria-label={props.name}
        disabled={props.busy}
        onClick={() => setAsking(true)}
      >
        {props.label}
      </button>
    );
  return (
    <fieldset
      class="confirm"
      aria-label={`Confirm: ${props.name ?? props.label}`}
      onKeyDown={(event) => {
        if (event.key === "Escape") cancel();
      }}
    >
      <span>{props.question}</span>
      <button
        type="button"
        class="danger"
        ref={confirm}
        disabled={props.busy}
        onClick={async () => {
          await props.onConfirm();
          setAsking(false);
        }}
      >
        Confirm {props.label.toLowerCase()}
      </button>
      <button type="button" onClick={cancel}>
        Cancel
      </button>
    </fieldset>
  );
}
