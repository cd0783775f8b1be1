import { MAX_SWEEP_AXES, type SweepField } from "@sdgate/shared";
import { FIELD_CHOICES, parseAxisValues, takesText } from "./axis-values.ts";

/** An axis as a person edits it: its field and the values' text. */
export interface AxisDraft {
  field: SweepField;
  text: string;
}

const PLACES = ["X (across)", "Y (down)", "Z (pages)"];

function hint(field: SweepField): string {
  if (field === "prompt_sr")
    return "The first value is the text searched for in the prompts; each value replaces it.";
  if (takesText(field)) return 'Comma-separated; quote a value with a comma in it ("a, b").';
  return "Comma-separated numbers or ranges: 10-30 (+10) steps by 10, 1-7 [4] takes 4 evenly.";
}

/** One to three axes: each a field and its values, with what is wrong with them said beside them. */
export function AxisEditor(props: { axes: AxisDraft[]; onChange: (axes: AxisDraft[]) => void }) {
  const { axes } = props;
  const set = (index: number, axis: AxisDraft) =>
    props.onChange(axes.map((current, at) => (at === index ? axis : current)));
  return (
    <fieldset class="form">
      <legend>Axes</legend>
      {axes.map((axis, index) => {
        const parsed = parseAxisValues(axis.field, axis.text);
        const hintId = `axis-${index}-hint`;
        return (
          <div class="row axis" key={index}>
            <label>
              {`${PLACES[index]} field`}
              <select
                value={axis.field}
                onChange={(event) => set(index, { ...axis, field: event.currentTarget.value as SweepField })}
              >
                {FIELD_CHOICES.map((choice) => (
                  <option key={choice.value} value={choice.value}>
                    {choice.label}
                  </option>
                ))}
              </select>
            </label>
            <label class="values">
              {`${PLACES[index]} values`}
              <input
                value={axis.text}
                aria-describedby={hintId}
                aria-invalid={!parsed.ok}
                onInput={(event) => set(index, { ...axis, text: event.currentTarget.value })}
              />
              <small id={hintId}>
                {parsed.ok ? `${parsed.values.length} value(s). ${hint(axis.field)}` : parsed.message}
              </small>
            </label>
            {axes.length > 1 ? (
              <button
                type="button"
                class="icon"
                aria-label={`Remove the ${PLACES[index]} axis`}
                onClick={() => props.onChange(axes.filter((_, at) => at !== index))}
              >
                Remove
              </button>
            ) : null}
          </div>
        );
      })}
      {axes.length < MAX_SWEEP_AXES ? (
        <div>
          <button
            type="button"
            onClick={() => props.onChange([...axes, { field: "guidance_scale", text: "" }])}
          >
            Add an axis
          </button>
        </div>
      ) : null}
    </fieldset>
  );
}
