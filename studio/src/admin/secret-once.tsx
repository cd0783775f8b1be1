import { useState } from "preact/hooks";

/**
 * A secret the API shows once (a new or rotated key, an alert signing secret): selectable, with Copy,
 * and a plain word that it will not be shown again.
 *
 * @example
 * <SecretOnce label="Secret of ci" secret={created.key} onDone={() => setCreated(null)} />
 */
export function SecretOnce(props: { label: string; secret: string; note?: string; onDone: () => void }) {
  const [copied, setCopied] = useState<"no" | "yes" | "failed">("no");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.secret);
      setCopied("yes");
    } catch {
      setCopied("failed");
    }
  };
  return (
    <fieldset class="secret-once" aria-label={props.label}>
      <p>
        <strong>{props.note ?? "Copy this secret now: it is shown this once and never again."}</strong>
      </p>
      <label>
        {props.label}
        <input type="text" readOnly value={props.secret} onFocus={(event) => event.currentTarget.select()} />
      </label>
      <div class="row">
        <button type="button" class="primary" onClick={copy}>
          Copy
        </button>
        <button type="button" onClick={props.onDone}>
          Done, hide it
        </button>
        <span role="status">
          {copied === "yes"
            ? "Copied."
            : copied === "failed"
              ? "Could not copy: select it and copy by hand."
              : ""}
        </span>
      </div>
    </fieldset>
  );
}
