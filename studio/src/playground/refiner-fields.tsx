import type { Model, RefinerSwitchBy } from "@sdgate/shared";
import { fieldSpecOfKind } from "../contract-fields.ts";
import { type Draft, type InputImages, requestOf } from "./draft.ts";
import { ChoiceField, NumberField } from "./field-controls.tsx";
import { isRefiner, newRefiner, refinerRefusal } from "./refiner-draft.ts";

// Read once: the contract does not change while the page is open.
const SWITCH_AT = fieldSpecOfKind("refiner.switch_at", "number");
const AESTHETIC = fieldSpecOfKind("aesthetic_score", "number");
const NEGATIVE_AESTHETIC = fieldSpecOfKind("negative_aesthetic_score", "number");
const SWITCH_BY = fieldSpecOfKind("refiner.switch_by", "choice");
const SWITCH_BY_LABELS: Record<RefinerSwitchBy, string> = {
  timestep: "Timestep",
  steps: "Sampling steps",
};
const switchByChoices = SWITCH_BY.options.map((value) => ({
  value,
  label: SWITCH_BY_LABELS[value as RefinerSwitchBy] ?? value,
}));

/**
 * SDXL's refiner (shown for SDXL base models only, as A1111's "Refiner"): which of the key's refiners
 * takes over, where, and the aesthetic scores it is conditioned on; with what the API refuses beside it
 * (a hires pass, a mask, ControlNet), so a person reads why before Run.
 */
export function RefinerFields(props: {
  draft: Draft;
  models: readonly Model[];
  inputs?: InputImages;
  onChange: (draft: Draft) => void;
}) {
  const { draft, onChange } = props;
  const refiner = draft.refiner;
  const refiners = props.models.filter(isRefiner);
  const refusal = refinerRefusal(requestOf(draft, props.inputs), [...props.models]);
  const set = (fields: Partial<NonNullable<Draft["refiner"]>>) =>
    refiner === null ? undefined : onChange({ ...draft, refiner: { ...refiner, ...fields } });
  return (
    <details class="advanced" open={refiner !== null}>
      <summary>SDXL refiner</summary>
      <p class="muted">
        A second SDXL model that finishes the image: the base denoises until "Switch at" of the run, the
        refiner the rest.
        {refiners.length === 0 ? " Your key may use no refiner." : ""}
      </p>
      <div class="row">
        <ChoiceField
          name="refiner"
          label="Refiner"
          value={refiner?.model ?? ""}
          options={[{ value: "", label: "None" }, ...refiners.map((model) => model.id)]}
          onChange={(model) =>
            onChange({
              ...draft,
              refiner: model === "" ? null : refiner === null ? newRefiner(model) : { ...refiner, model },
            })
          }
        />
        {refiner === null ? null : (
          <>
            <NumberField
              spec={SWITCH_AT}
              label="Switch at"
              value={refiner.switch_at}
              step={0.05}
              onInput={(switch_at) => set({ switch_at })}
            />
            <ChoiceField
              name={SWITCH_BY.name}
              label="Switch by"
              value={refiner.switch_by}
              options={switchByChoices}
              onChange={(value) => set({ switch_by: value as RefinerSwitchBy })}
            />
          </>
        )}
      </div>
      {refiner === null ? null : (
        <div class="row">
          <NumberField
            spec={AESTHETIC}
            label="Aesthetic score"
            value={refiner.aesthetic_score}
            step={0.5}
            onInput={(aesthetic_score) => set({ aesthetic_score })}
          />
          <NumberField
            spec={NEGATIVE_AESTHETIC}
            label="Negative aesthetic score"
            value={refiner.negative_aesthetic_score}
            step={0.5}
            onInput={(negative_aesthetic_score) => set({ negative_aesthetic_score })}
          />
        </div>
      )}
      {refusal === null ? null : <p class="refusal">{refusal}</p>}
    </details>
  );
}
