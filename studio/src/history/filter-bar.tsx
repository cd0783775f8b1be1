import { RUN_STATUSES } from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import type { HistoryFilters } from "./filters.ts";

const SEARCH_DELAY_MS = 300;

/** A choice of a select: its value and what the person reads. */
export type Choice = [value: string, label: string];

/**
 * The History's filters: model, person, key, status, experiment and prompt text. Each change goes to
 * `onChange` (the page puts it in the URL); typing waits for a pause.
 */
export function FilterBar(props: {
  filters: HistoryFilters;
  models: readonly string[];
  people: readonly Choice[];
  keys: readonly Choice[];
  experiments: readonly string[];
  /** Filters the page fixes (an experiment's page fixes the experiment): not offered. */
  fixed?: ReadonlyArray<keyof HistoryFilters>;
  onChange: (filters: HistoryFilters) => void;
}) {
  const { filters, onChange } = props;
  const [text, setText] = useState(filters.q);
  useEffect(() => setText(filters.q), [filters.q]);
  useEffect(() => {
    if (text === filters.q) return;
    const timer = setTimeout(() => onChange({ ...filters, q: text }), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [text, filters, onChange]);

  const offered = (name: keyof HistoryFilters) => !props.fixed?.includes(name);
  const select = (name: keyof HistoryFilters, label: string, any: string, choices: readonly Choice[]) => {
    // A value from the URL that the lists do not know yet is still shown, as itself.
    const known = filters[name] === "" || choices.some(([value]) => value === filters[name]);
    return offered(name) ? (
      <label>
        {label}
        <select
          aria-label={label}
          value={filters[name]}
          onChange={(event) => onChange({ ...filters, [name]: event.currentTarget.value })}
        >
          <option value="">{any}</option>
          {known ? null : <option value={filters[name]}>{filters[name]}</option>}
          {choices.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
      </label>
    ) : null;
  };

  return (
    <form aria-label="Filter runs" class="filters row" onSubmit={(event) => event.preventDefault()}>
      <label class="search">
        Search prompts
        <input type="search" value={text} onInput={(event) => setText(event.currentTarget.value)} />
      </label>
      {select(
        "model",
        "Model",
        "Any model",
        props.models.map((id) => [id, id]),
      )}
      {select(
        "status",
        "Status",
        "Any status",
        RUN_STATUSES.map((status) => [status, status]),
      )}
      {select("person", "Person", "Anyone", props.people)}
      {select("key", "Key", "Any key", props.keys)}
      {select(
        "experiment",
        "Experiment",
        "Any experiment",
        props.experiments.map((name) => [name, name]),
      )}
    </form>
  );
}
