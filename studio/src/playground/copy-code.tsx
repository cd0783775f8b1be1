import type { GenerationBody } from "@sdgate/sdk";
import { copyAsCode, type ReproducibleRequest, SNIPPET_KINDS, type SnippetKind } from "@sdgate/shared";
import { useMemo, useState } from "preact/hooks";
import "./copy-code.css";

/**
 * Copy as code: the run's request as curl, the TypeScript SDK, the official `openai` SDK and the
 * sdgate CLI, each making the same image (the seed it ran with is in each). The key stays in an
 * environment variable; nothing secret is in the code.
 */
export function CopyAsCode(props: { request: GenerationBody & { seed: number } }) {
  // The form offers only the contract's canonical scheduler names, so its body is already a request.
  const request = props.request as ReproducibleRequest;
  const snippets = useMemo(() => copyAsCode(request, { baseUrl: location.origin }), [request]);
  const [kind, setKind] = useState<SnippetKind>("curl");
  const [copied, setCopied] = useState<SnippetKind | null>(null);
  const snippet = snippets[kind];
  const copy = async () => {
    await navigator.clipboard.writeText(snippet.code);
    setCopied(kind);
  };
  return (
    <section class="copy-code" aria-labelledby="copy-code-title">
      <h3 id="copy-code-title">Copy as code</h3>
      <fieldset class="row languages">
        <legend>Language</legend>
        {SNIPPET_KINDS.map((each) => (
          <button
            key={each}
            type="button"
            aria-pressed={each === kind}
            onClick={() => {
              setKind(each);
              setCopied(null);
            }}
          >
            {snippets[each].label}
          </button>
        ))}
      </fieldset>
      {/* A read-only text area: focusable, scrollable and selectable from the keyboard, unlike a <pre>. */}
      <textarea
        readOnly
        rows={12}
        aria-label={`${snippet.label} code`}
        value={snippet.code}
        spellcheck={false}
      />
      <div class="row">
        <button type="button" class="primary" onClick={() => void copy()}>
          Copy
        </button>
        <a
          href={`data:text/plain;charset=utf-8,${encodeURIComponent(snippet.code)}`}
          download={snippet.fileName}
        >
          Download {snippet.fileName}
        </a>
        <span role="status">{copied === kind ? "Copied." : ""}</span>
      </div>
      {snippet.omittedFields.length === 0 ? null : (
        <p class="hint">This one cannot send: {snippet.omittedFields.join(", ")}.</p>
      )}
    </section>
  );
}
