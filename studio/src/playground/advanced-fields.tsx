import { fieldSpecOfKind } from "../contract-fields.ts";
import { DEFAULT_HIRES, type Draft } from "./draft.ts";
import { ChoiceField, NumberField } from "./field-controls.tsx";

const numberSpec = (name: string) => fieldSpecOfKind(name, "number");
// Read once: the contract does not change while the page is open.
const N = numberSpec("n");
const CLIP_SKIP = numberSpec("clip_skip");
const HIRES_SCALE = numberSpec("hires_scale");
const HIRES_STRENGTH = numberSpec("hires_strength");
const HIRES_STEPS = numberSpec("hires_steps");
const QUALITY = numberSpec("output_quality");

/** Clip skip as A1111 shows it: 1 is the model's own last layer (sent as no `clip_skip`). */
const CLIP_SKIP_CHOICES = Array.from({ length: (CLIP_SKIP.max ?? 12) - (CLIP_SKIP.min ?? 1) + 1 }, (_, i) => {
  const value = (CLIP_SKIP.min ?? 1) + i;
  return { value: String(value), label: value === 1 ? "1 (the model's own)" : String(value) };
});

/** The fields people reach for less often: how many images, clip skip, a hires pass, quality. */
export function AdvancedFields(props: { draft: Draft; maxSteps?: number; onChange: (draft: Draft) => void }) {
  const { draft, onChange } = props;
  const hires = draft.hires;
  return (
    <details class="advanced">
      <summary>More options</summary>
      <div class="row">
        <NumberField spec={N} label="Images" value={draft.n} onInput={(n) => onChange({ ...draft, n })} />
        <ChoiceField
          name="clip_skip"
          label="Clip skip"
          value={String(draft.clip_skip ?? 1)}
          options={CLIP_SKIP_CHOICES}
          onChange={(value) => onChange({ ...draft, clip_skip: value === "1" ? null : Number(value) })}
        />
        {draft.output_format === "png" ? null : (
          <NumberField
            spec={QUALITY}
            label="Quality"
            value={draft.output_quality ?? 90}
            onInput={(quality) => onChange({ ...draft, output_quality: quality })}
          />
        )}
      </div>
      <label class="inline">
        <input
          type="checkbox"
          checked={hires !== null}
          onChange={(event) =>
            onChange({ ...draft, hires: event.currentTarget.checked ? { ...DEFAULT_HIRES } : null })
          }
        />
        Hires fix (a second, upscaled pass)
      </label>
      {hires === null ? null : (
        <div class="row">
          <NumberField
            spec={HIRES_SCALE}
            label="Upscale by"
            value={hires.scale}
            step={0.25}
            onInput={(scale) => onChange({ ...draft, hires: { ...hires, scale } })}
          />
          <NumberField
            spec={HIRES_STRENGTH}
            label="Hires denoising"
            value={hires.strength}
            step={0.05}
            onInput={(strength) => onChange({ ...draft, hires: { ...hires, strength } })}
          />
          <NumberField
            spec={HIRES_STEPS}
            label="Hires steps"
            value={hires.steps}
            {...(props.maxSteps === undefined ? {} : { max: props.maxSteps })}
            onInput={(steps) => onChange({ ...draft, hires: { ...hires, steps } })}
          />
        </div>
      )}
    </details>
  );
}
