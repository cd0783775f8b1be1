import type { Sdgate } from "@sdgate/sdk";
import type { PromptTokens } from "@sdgate/shared";
import { useId, useMemo, useRef } from "preact/hooks";
import { type BracketProblem, bracketProblems, highlightPrompt } from "./a1111-syntax.ts";
import { chunkSummary, overlayPieces } from "./token-chunks.ts";
import { type TokenCount, type TokenReading, useTokenCount } from "./use-token-count.ts";
import "./prompt-editor.css";

export interface PromptEditorProps {
  name: string;
  label: string;
  value: string;
  required: boolean;
  maxLength: number | null;
  /** The model whose tokenizer counts the text (the form's model choice). */
  model: string;
  /** The form's steps, over which prompt editing and alternation are read, its guidance, with which `AND` splits, and whether this is the negative prompt. */
  reading: TokenReading;
  client: Sdgate | null;
  onInput: (value: string) => void;
}

/**
 * A prompt field that shows A1111's syntax as it is typed and the model's token count per 75-token
 * chunk. The textarea is the real control (its text transparent, its caret not); under it a copy of
 * the text, hidden from screen readers, carries the colours. The count and any lone bracket are said
 * in text the textarea is described by.
 */
export function PromptEditor(props: PromptEditorProps) {
  const id = useId();
  const overlay = useRef<HTMLDivElement>(null);
  const count = useTokenCount(props.client, props.model, props.value, props.reading);
  const spans = useMemo(() => highlightPrompt(props.value), [props.value]);
  const problems = useMemo(() => bracketProblems(props.value, spans), [props.value, spans]);
  const counted = count.counted?.prompt === props.value ? count.counted.tokens : null;
  // while a newer count is on its way the line keeps the last one, rather than flicker at each key
  const lastCount = count.counted?.model === props.model ? count.counted.tokens : null;
  const pieces = overlayPieces(props.value, spans, counted);
  const overLimit = counted !== null && counted.tokens_over_limit > 0;
  const describedBy = [`${id}-count`, problems.length > 0 ? `${id}-problems` : ""].filter(Boolean).join(" ");
  return (
    <div class="prompt-editor">
      <label for={id}>{props.label}</label>
      <div class="prompt-editor-field">
        <div class="prompt-editor-overlay" aria-hidden="true" ref={overlay}>
          {pieces.map((piece) => (
            <span
              key={`${piece.start}-${piece.kind}`}
              class={[
                `syntax-${piece.kind}`,
                piece.depth === undefined ? "" : `depth-${piece.depth % 4}`,
                piece.unbalanced ? "unbalanced" : "",
                piece.chunkStart ? "chunk-start" : "",
                piece.overLimit ? "over-limit" : "",
              ]
                .filter(Boolean)
                .join(" ")}
              data-chunk={piece.chunk}
            >
              {props.value.slice(piece.start, piece.end)}
            </span>
          ))}
          {/* a last line break in the textarea still takes a line */}
          {"\n "}
        </div>
        <textarea
          id={id}
          name={props.name}
          rows={3}
          spellcheck={false}
          required={props.required}
          {...(props.maxLength === null ? {} : { maxLength: props.maxLength })}
          aria-describedby={describedBy}
          aria-invalid={problems.length > 0 || overLimit}
          value={props.value}
          onInput={(event) => props.onInput(event.currentTarget.value)}
          onScroll={(event) => {
            if (overlay.current) overlay.current.scrollTop = event.currentTarget.scrollTop;
          }}
        />
      </div>
      <p id={`${id}-count`} class={`prompt-editor-count${overLimit ? " over-limit" : ""}`}>
        <CountLine count={count} counted={counted ?? lastCount} />
      </p>
      {problems.length > 0 && (
        <p id={`${id}-problems`} class="prompt-editor-problems">
          {problems.map(describeProblem).join(" ")}
        </p>
      )}
    </div>
  );
}

function CountLine(props: { count: TokenCount; counted: PromptTokens | null }) {
  const { count, counted } = props;
  if (count.error !== null && !count.pending) return <>Tokens not counted: {count.error}</>;
  if (counted === null)
    return <>{count.pending ? "Counting tokens…" : "Tokens are counted once a model is chosen."}</>;
  const over =
    counted.tokens_over_limit > 0
      ? ` — ${counted.tokens_over_limit} tokens past the model's limit of ${counted.max_chunks} chunks`
      : "";
  return (
    <>
      {chunkSummary(counted)}
      {over}
    </>
  );
}

/** `"(" at 12 is never closed.` / `")" at 30 closes nothing.` (positions counted from 1, as people count). */
function describeProblem(problem: BracketProblem): string {
  const where = `"${problem.char}" at character ${problem.at + 1}`;
  return problem.kind === "unclosed"
    ? `Unbalanced: ${where} is never closed.`
    : `Unbalanced: ${where} closes nothing.`;
}
