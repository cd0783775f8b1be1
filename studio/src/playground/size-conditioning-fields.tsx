import {
  MAX_SIZE_CONDITIONING_PX,
  SIZE_CONDITIONING_FIELDS,
  type SizeConditioning,
  type SizeConditioningField,
} from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { pairTexts, readPair } from "./conditioning-pair.ts";
import type { Draft } from "./draft.ts";

const LABELS: Record<SizeConditioningField, { name: string; parts: [string, string] }> = {
  original_size: { name: "Original size", parts: ["width", "height"] },
  crops_coords_top_left: { name: "Crop", parts: ["top", "left"] },
  target_size: { name: "Target size", parts: ["width", "height"] },
  negative_original_size: { name: "Negative original size", parts: ["width", "height"] },
  negative_crops_coords_top_left: { name: "Negative crop", parts: ["top", "left"] },
  negative_target_size: { name: "Negative target size", parts: ["width", "height"] },
};

/**
 * One field's two inputs. They keep what is typed until it is a whole value (a width without its
 * height yet), and follow the draft when it changes from elsewhere (a restored recipe).
 */
function ConditioningPair(props: {
  field: SizeConditioningField;
  value: SizeConditioning[SizeConditioningField];
  placeholders: [string, string];
  onChange: (value: SizeConditioning[SizeConditioningField]) => void;
}) {
  const { field, value } = props;
  const [texts, setTexts] = useState(pairTexts(value));
  useEffect(() => {
    // Our own changes read back as the value; only one made elsewhere (a restored recipe) resets the inputs.
    const reading = readPair(field, ...texts);
    const shown = reading.kind === "value" ? reading.value : undefined;
    if (JSON.stringify(shown) !== JSON.stringify(value)) setTexts(pairTexts(value));
  }, [value]);
  const { name, parts } = LABELS[field];
  const update = (texts: [string, string]) => {
    setTexts(texts);
    const reading = readPair(field, ...texts);
    if (reading.kind !== "partial") props.onChange(reading.kind === "value" ? reading.value : undefined);
  };
  return (
    <fieldset class="pair">
      <legend>{name}</legend>
      {parts.map((part, i) => (
        <label key={part}>
          {part}
          <input
            type="number"
            name={`${field}.${part}`}
            min={field.includes("crops") ? 0 : 1}
            max={MAX_SIZE_CONDITIONING_PX}
            step={1}
            value={texts[i]}
            placeholder={props.placeholders[i]}
            onInput={(event) =>
              update(i === 0 ? [event.currentTarget.value, texts[1]] : [texts[0], event.currentTarget.value])
            }
          />
        </label>
      ))}
    </fieldset>
  );
}

/**
 * SDXL's size and crop conditioning (shown for SDXL models only): what the UNet is told about the
 * picture's original size, crop and target. Blank inputs are diffusers' defaults, shown as
 * placeholders: the image's own size, uncropped.
 */
export function SizeConditioningFields(props: { draft: Draft; onChange: (draft: Draft) => void }) {
  const { draft } = props;
  const set = (field: SizeConditioningField, value: SizeConditioning[SizeConditioningField]) => {
    const { [field]: _old, ...rest } = draft.size_conditioning;
    props.onChange({ ...draft, size_conditioning: value === undefined ? rest : { ...rest, [field]: value } });
  };
  const pair = (field: SizeConditioningField) => (
    <ConditioningPair
      key={field}
      field={field}
      value={draft.size_conditioning[field]}
      placeholders={field.includes("crops") ? ["0", "0"] : [String(draft.width), String(draft.height)]}
      onChange={(value) => set(field, value)}
    />
  );
  const [positive, negative] = [SIZE_CONDITIONING_FIELDS.slice(0, 3), SIZE_CONDITIONING_FIELDS.slice(3)];
  return (
    <details class="advanced">
      <summary>SDXL size conditioning</summary>
      <p class="muted">
        What the model is told about the picture it makes: a large original size reads as a sharp photo, a
        crop as a cut-off subject. Blank: this image's size, uncropped.
      </p>
      <div class="row">{positive.map(pair)}</div>
      <details>
        <summary>For the negative prompt</summary>
        <div class="row">{negative.map(pair)}</div>
      </details>
    </details>
  );
}
