import type { Sdgate } from "@sdgate/sdk";
import type { Model } from "@sdgate/shared";
import { fieldSpec } from "../contract-fields.ts";
import { PromptEditor } from "../prompt-editor/prompt-editor.tsx";
import { AdapterFields } from "./adapter-fields.tsx";
import { AdvancedFields } from "./advanced-fields.tsx";
import { type Draft, type InputImages, rollSeed } from "./draft.ts";
import { ChoiceField, NumberField } from "./field-controls.tsx";
import { InputImageFields } from "./input-image.tsx";
import { isRefiner } from "./refiner-draft.ts";
import { RefinerFields } from "./refiner-fields.tsx";
import { SizeConditioningFields } from "./size-conditioning-fields.tsx";
import { sizeChoices } from "./sizes.ts";

// Read once: the contract does not change while the page is open.
const SPEC = {
  prompt: fieldSpec("prompt"),
  negative_prompt: fieldSpec("negative_prompt"),
  steps: fieldSpec("steps"),
  guidance_scale: fieldSpec("guidance_scale"),
  scheduler: fieldSpec("scheduler"),
  seed: fieldSpec("seed"),
  output_format: fieldSpec("output_format"),
};

function ofKind<K extends "text" | "number" | "choice">(spec: ReturnType<typeof fieldSpec>, kind: K) {
  if (spec.kind !== kind) throw new Error(`The contract's '${spec.name}' is not a ${kind} field.`);
  return spec as Extract<ReturnType<typeof fieldSpec>, { kind: K }>;
}
const prompt = ofKind(SPEC.prompt, "text");
const negativePrompt = ofKind(SPEC.negative_prompt, "text");
const steps = ofKind(SPEC.steps, "number");
const guidance = ofKind(SPEC.guidance_scale, "number");
const scheduler = ofKind(SPEC.scheduler, "choice");
const seed = ofKind(SPEC.seed, "number");
const outputFormat = ofKind(SPEC.output_format, "choice");

/**
 * The model choices: each model the key may use, its aliases and its pinnable versions where the edge
 * lists them. SDXL refiners are left out: they run only after a base, under "SDXL refiner".
 */
function modelChoices(models: Model[]) {
  return models
    .filter((model) => !isRefiner(model))
    .flatMap((model) => [
      { value: model.id, label: model.id },
      ...(model.aliases ?? []).map((alias) => ({
        value: `${model.id}@${alias.name}`,
        label: `${model.id}@${alias.name} (${alias.version})`,
      })),
      ...(model.versions ?? []).map((version) => ({
        value: `${model.id}@${version}`,
        label: `${model.id}@${version} (pinned)`,
      })),
    ]);
}

/** The playground's form: every control's kind, bounds and choices from the contract. */
export function GenerationForm(props: {
  draft: Draft;
  models: Model[];
  /** Counts the prompts' tokens for their editors. */
  client: Sdgate;
  onChange: (draft: Draft) => void;
  /** Image to image's input images; without them the form has no image section (a sweep's base has none). */
  inputs?: InputImages;
  onInputs?: (inputs: InputImages) => void;
}) {
  const { draft, inputs, onInputs } = props;
  const set = <K extends keyof Draft>(name: K, value: Draft[K]) =>
    props.onChange({ ...draft, [name]: value });
  const model = props.models.find((entry) => draft.model.split("@")[0] === entry.id);
  return (
    <fieldset class="form">
      <legend>Request</legend>
      {/* both prompts are read with the model's tokenizer, so both count against its chunks */}
      <PromptEditor
        name={prompt.name}
        label="Prompt"
        required={prompt.required}
        maxLength={prompt.maxLength}
        model={draft.model}
        reading={{ steps: draft.steps, guidanceScale: draft.guidance_scale, negative: false }}
        client={props.client}
        value={draft.prompt}
        onInput={(v) => set("prompt", v)}
      />
      <PromptEditor
        name={negativePrompt.name}
        label="Negative prompt"
        required={negativePrompt.required}
        maxLength={negativePrompt.maxLength}
        model={draft.model}
        reading={{ steps: draft.steps, guidanceScale: draft.guidance_scale, negative: true }}
        client={props.client}
        value={draft.negative_prompt}
        onInput={(v) => set("negative_prompt", v)}
      />
      <div class="row">
        <ChoiceField
          name="model"
          label="Model"
          value={draft.model}
          options={modelChoices(props.models)}
          onChange={(v) => {
            // a refiner follows an SDXL base only: another model drops it rather than send a refused request
            const next = props.models.find((entry) => v.split("@")[0] === entry.id);
            props.onChange({
              ...draft,
              model: v,
              ...(next?.architecture === "sdxl" ? {} : { refiner: null }),
            });
          }}
        />
        <ChoiceField
          name="size"
          label="Size"
          value={`${draft.width}x${draft.height}`}
          options={sizeChoices(model, draft.width, draft.height)}
          onChange={(v) => {
            const [width, height] = v.split("x").map(Number);
            if (width !== undefined && height !== undefined) props.onChange({ ...draft, width, height });
          }}
        />
      </div>
      <div class="row">
        <NumberField
          spec={steps}
          label="Steps"
          value={draft.steps}
          {...(model === undefined ? {} : { max: model.limits.max_steps })}
          onInput={(v) => set("steps", v)}
        />
        <NumberField
          spec={guidance}
          label="Guidance"
          value={draft.guidance_scale}
          step={0.5}
          onInput={(v) => set("guidance_scale", v)}
        />
        <ChoiceField
          name="scheduler"
          label="Scheduler"
          value={draft.scheduler}
          options={scheduler.options}
          onChange={(v) => set("scheduler", v)}
        />
      </div>
      <div class="row">
        <NumberField spec={seed} label="Seed" value={draft.seed} onInput={(v) => set("seed", v)} />
        <button
          type="button"
          class="icon"
          aria-label="Roll a new seed"
          title="Roll a new seed"
          onClick={() => set("seed", rollSeed())}
        >
          Roll
        </button>
        <label class="inline">
          <input
            type="checkbox"
            checked={draft.seedLocked}
            onChange={(event) => set("seedLocked", event.currentTarget.checked)}
          />
          Keep this seed
        </label>
        <ChoiceField
          name="output_format"
          label="Output format"
          value={draft.output_format}
          options={outputFormat.options}
          onChange={(v) => {
            const format = outputFormat.options.find((name) => name === v);
            if (format !== undefined) set("output_format", format as Draft["output_format"]);
          }}
        />
      </div>
      <AdvancedFields
        draft={draft}
        {...(model === undefined ? {} : { maxSteps: model.limits.max_steps })}
        onChange={props.onChange}
      />
      {model?.architecture === "sdxl" ? (
        <>
          <SizeConditioningFields draft={draft} onChange={props.onChange} />
          <RefinerFields
            draft={draft}
            models={props.models}
            onChange={props.onChange}
            {...(inputs === undefined ? {} : { inputs })}
          />
        </>
      ) : null}
      <AdapterFields
        client={props.client}
        draft={draft}
        onChange={props.onChange}
        {...(inputs === undefined || onInputs === undefined ? {} : { inputs, onInputs })}
      />
      {inputs === undefined || onInputs === undefined ? null : (
        <InputImageFields draft={draft} inputs={inputs} onDraft={props.onChange} onInputs={onInputs} />
      )}
    </fieldset>
  );
}
