import type { Adapter, AdapterKind, Sdgate } from "@sdgate/sdk";
import {
  CONTROL_MODES,
  CONTROLNET_PREPROCESSORS,
  MAX_CONTROLNET_UNITS,
  MAX_LORA_WEIGHT,
  MAX_REQUEST_LORAS,
} from "@sdgate/shared";
import { useEffect, useState } from "preact/hooks";
import { useFileDrop } from "../components/file-drop.ts";
import type { ControlUnit, Draft, DraftLora, InputImages } from "./draft.ts";
import { readAsDataUrl } from "./input-image.tsx";

/** The adapters of one kind the key may name on the form's model (`GET /v1/adapters`); `[]` until read. */
function useAdapters(
  client: Sdgate,
  kind: AdapterKind,
  model: string,
): { list: Adapter[]; error: string | null } {
  const [state, setState] = useState<{ list: Adapter[]; error: string | null }>({ list: [], error: null });
  useEffect(() => {
    let current = true;
    client.adapters.list({ kind, model }).then(
      ({ data }) => current && setState({ list: data, error: null }),
      (failure: unknown) => current && setState({ list: [], error: String(failure) }),
    );
    return () => {
      current = false;
    };
  }, [client, kind, model]);
  return state;
}

const labelOf = (adapter: Adapter) =>
  `${adapter.name}${adapter.deprecated ? " (deprecated)" : ""}${adapter.description ? ` — ${adapter.description}` : ""}`;

/** A picker of the key's LoRAs for the model, each chosen one with its weight (A1111's multiplier). */
function LoraFields(props: { client: Sdgate; draft: Draft; onChange: (draft: Draft) => void }) {
  const { draft } = props;
  const { list, error } = useAdapters(props.client, "lora", draft.model);
  const setLoras = (lora: DraftLora[]) => props.onChange({ ...draft, lora });
  const unused = list.filter((adapter) => !draft.lora.some((chosen) => chosen.name === adapter.name));
  return (
    <fieldset class="adapters">
      <legend>LoRAs</legend>
      {error === null ? null : <p role="alert">{error}</p>}
      {draft.lora.map((lora, i) => (
        <div class="row" key={lora.name}>
          <label>
            LoRA {lora.name} weight
            <input
              type="number"
              name={`lora.${i}.weight`}
              min={-MAX_LORA_WEIGHT}
              max={MAX_LORA_WEIGHT}
              step={0.05}
              value={lora.weight}
              onInput={(event) => {
                const weight = event.currentTarget.valueAsNumber;
                if (Number.isFinite(weight))
                  setLoras(draft.lora.map((each, j) => (j === i ? { ...each, weight } : each)));
              }}
            />
          </label>
          <button
            type="button"
            class="secondary"
            onClick={() => setLoras(draft.lora.filter((_, j) => j !== i))}
          >
            Remove {lora.name}
          </button>
        </div>
      ))}
      {draft.lora.length >= MAX_REQUEST_LORAS ? null : (
        <label>
          Add a LoRA
          <select
            name="lora"
            value=""
            disabled={unused.length === 0}
            onChange={(event) => {
              const name = event.currentTarget.value;
              if (name !== "") setLoras([...draft.lora, { name, weight: 1 }]);
            }}
          >
            <option value="">{list.length === 0 ? "None registered for this model" : "Choose…"}</option>
            {unused.map((adapter) => (
              <option key={adapter.name} value={adapter.name}>
                {labelOf(adapter)}
              </option>
            ))}
          </select>
        </label>
      )}
    </fieldset>
  );
}

/** One ControlNet unit: its model, control image (dropped or chosen), weight, span, mode, preprocessor. */
function ControlUnitFields(props: {
  index: number;
  unit: ControlUnit;
  models: Adapter[];
  onChange: (unit: ControlUnit) => void;
  onRemove: () => void;
}) {
  const { unit, index } = props;
  const n = index + 1;
  const set = <K extends keyof ControlUnit>(name: K, value: ControlUnit[K]) =>
    props.onChange({ ...unit, [name]: value });
  const take = async (file: File | undefined) => {
    if (file?.type.startsWith("image/")) set("image", await readAsDataUrl(file));
  };
  const drop = useFileDrop((file) => void take(file));
  const number = (name: "weight" | "guidance_start" | "guidance_end", label: string, max: number) => (
    <label>
      {label}
      <input
        type="number"
        name={`controlnet.${index}.${name}`}
        min={0}
        max={max}
        step={0.05}
        value={unit[name]}
        onInput={(event) => {
          const value = event.currentTarget.valueAsNumber;
          if (Number.isFinite(value)) set(name, value);
        }}
      />
    </label>
  );
  return (
    <fieldset class="control-unit">
      <legend>ControlNet unit {n}</legend>
      <div class="row">
        <label>
          ControlNet model
          <select
            name={`controlnet.${index}.model`}
            value={unit.model}
            onChange={(e) => set("model", e.currentTarget.value)}
          >
            {props.models.map((adapter) => (
              <option key={adapter.name} value={adapter.name}>
                {labelOf(adapter)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Preprocessor
          <select
            name={`controlnet.${index}.preprocessor`}
            value={unit.preprocessor}
            onChange={(e) => {
              const value = CONTROLNET_PREPROCESSORS.find((name) => name === e.currentTarget.value);
              if (value !== undefined) set("preprocessor", value);
            }}
          >
            {CONTROLNET_PREPROCESSORS.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
        <label>
          Control mode
          <select
            name={`controlnet.${index}.control_mode`}
            value={unit.control_mode}
            onChange={(e) => {
              const value = CONTROL_MODES.find((name) => name === e.currentTarget.value);
              if (value !== undefined) set("control_mode", value);
            }}
          >
            {CONTROL_MODES.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>
      </div>
      <div class="row">
        {number("weight", "Control weight", 2)}
        {number("guidance_start", "Starting step (share)", 1)}
        {number("guidance_end", "Ending step (share)", 1)}
      </div>
      <label class={drop.over ? "drop over" : "drop"} {...drop.handlers}>
        Control image {n} (drop one here, or choose)
        <input type="file" accept="image/*" onChange={(event) => void take(event.currentTarget.files?.[0])} />
      </label>
      {unit.image === "" ? null : (
        <img class="control-image" src={unit.image} alt={`What unit ${n} controls the composition with`} />
      )}
      <button type="button" class="secondary" onClick={props.onRemove}>
        Remove unit {n}
      </button>
    </fieldset>
  );
}

/** A new unit on `model`, with A1111's defaults and no image yet. */
const newUnit = (model: string): ControlUnit => ({
  model,
  image: "",
  weight: 1,
  guidance_start: 0,
  guidance_end: 1,
  control_mode: "balanced",
  preprocessor: "none",
});

/** ControlNet units on the model's ControlNet models; a unit without an image is not sent. */
function ControlNetFields(props: {
  client: Sdgate;
  model: string;
  units: ControlUnit[];
  onUnits: (units: ControlUnit[]) => void;
}) {
  const { list, error } = useAdapters(props.client, "controlnet", props.model);
  const { units } = props;
  const first = list[0];
  return (
    <fieldset class="adapters">
      <legend>ControlNet</legend>
      {error === null ? null : <p role="alert">{error}</p>}
      {units.map((unit, i) => (
        <ControlUnitFields
          // Units have no identity of their own but their place.
          key={String(i)}
          index={i}
          unit={unit}
          models={list}
          onChange={(changed) => props.onUnits(units.map((each, j) => (j === i ? changed : each)))}
          onRemove={() => props.onUnits(units.filter((_, j) => j !== i))}
        />
      ))}
      {units.length >= MAX_CONTROLNET_UNITS ? null : (
        <button
          type="button"
          disabled={first === undefined}
          onClick={() => first && props.onUnits([...units, newUnit(first.name)])}
        >
          {first === undefined ? "No ControlNet model registered for this model" : "Add a ControlNet unit"}
        </button>
      )}
    </fieldset>
  );
}

/**
 * LoRAs and ControlNet units, from what the key may name on the form's model. ControlNet units need
 * input images, so they appear only where the form has them (not in a sweep's base).
 */
export function AdapterFields(props: {
  client: Sdgate;
  draft: Draft;
  onChange: (draft: Draft) => void;
  inputs?: InputImages;
  onInputs?: (inputs: InputImages) => void;
}) {
  const { inputs, onInputs } = props;
  const sent = props.draft.lora.length + (inputs?.controlnet.length ?? 0);
  return (
    <details class="advanced" open={sent > 0}>
      <summary>LoRAs and ControlNet{sent === 0 ? "" : ` · ${sent}`}</summary>
      <LoraFields client={props.client} draft={props.draft} onChange={props.onChange} />
      {inputs === undefined || onInputs === undefined ? null : (
        <ControlNetFields
          client={props.client}
          model={props.draft.model}
          units={inputs.controlnet}
          onUnits={(controlnet) => onInputs({ ...inputs, controlnet })}
        />
      )}
    </details>
  );
}
