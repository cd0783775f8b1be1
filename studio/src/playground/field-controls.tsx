import type { FieldSpec } from "../contract-fields.ts";

type Spec<K extends FieldSpec["kind"]> = Extract<FieldSpec, { kind: K }>;

/** A number field: the contract's bounds, tightened by the model's limits where it has them. */
export function NumberField(props: {
  spec: Spec<"number">;
  label: string;
  value: number;
  max?: number;
  step?: number;
  onInput: (value: number) => void;
}) {
  const max = props.max ?? props.spec.max;
  return (
    <label>
      {props.label}
      <input
        type="number"
        name={props.spec.name}
        value={props.value}
        {...(props.spec.min === null ? {} : { min: props.spec.min })}
        {...(max === null ? {} : { max })}
        step={props.step ?? (props.spec.integer ? 1 : "any")}
        onInput={(event) => {
          const value = event.currentTarget.valueAsNumber;
          if (Number.isFinite(value)) props.onInput(value);
        }}
      />
    </label>
  );
}

/** A choice among the contract's values (or a list the edge gave, such as the key's models). */
export function ChoiceField(props: {
  name: string;
  label: string;
  value: string;
  options: ReadonlyArray<string | { value: string; label: string }>;
  onChange: (value: string) => void;
}) {
  return (
    <label>
      {props.label}
      <select
        name={props.name}
        value={props.value}
        onChange={(event) => props.onChange(event.currentTarget.value)}
      >
        {props.options.map((option) => {
          const { value, label } = typeof option === "string" ? { value: option, label: option } : option;
          return (
            <option key={value} value={value}>
              {label}
            </option>
          );
        })}
      </select>
    </label>
  );
}
