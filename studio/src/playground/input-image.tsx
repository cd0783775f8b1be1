import "./input-image.css";
import { MASKED_CONTENTS, type MaskedContent } from "@sdgate/shared";
import { useEffect, useRef, useState } from "preact/hooks";
import { useFileDrop } from "../components/file-drop.ts";
import { fieldSpec } from "../contract-fields.ts";
import type { Draft, InputImages } from "./draft.ts";
import { NumberField } from "./field-controls.tsx";
import { MaskBrush } from "./mask-brush.ts";

const STRENGTH = (() => {
  const spec = fieldSpec("strength");
  if (spec.kind !== "number") throw new Error("The contract's 'strength' is not a number field.");
  return spec;
})();

/** A1111's names for each masked content, which people who know its UI look for. */
const MASKED_CONTENT_LABELS: Record<MaskedContent, string> = {
  fill: "fill (surrounding colours)",
  original: "original",
  latent_noise: "latent noise",
  latent_nothing: "latent nothing",
};

/** Whole-mask actions, for the keyboard as much as for the brush's user. */
const MASK_ACTIONS: ReadonlyArray<[string, (brush: MaskBrush) => void]> = [
  ["Mask everything", (brush) => brush.fill("white")],
  ["Invert mask", (brush) => brush.invert()],
  ["Clear mask", (brush) => brush.fill("black")],
];

/** A file as a data URL (`data:image/png;base64,…`), as the request's images are sent. */
export function readAsDataUrl(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/**
 * Image to image: an input image (dropped or chosen), how far to move from it, and a mask painted
 * over it with a brush for inpainting (or set whole, inverted and cleared from the keyboard).
 */
export function InputImageFields(props: {
  draft: Draft;
  inputs: InputImages;
  onDraft: (draft: Draft) => void;
  onInputs: (inputs: InputImages) => void;
}) {
  const { inputs } = props;
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const [masking, setMasking] = useState(false);
  const [radius, setRadius] = useState(16);
  const brush = useRef<MaskBrush | null>(null);
  const view = useRef<HTMLCanvasElement>(null);
  const drawing = useRef(false);

  const take = async (file: File | undefined) => {
    if (file === undefined || !file.type.startsWith("image/")) return;
    const image = await readAsDataUrl(file);
    brush.current = null;
    setSize(null);
    props.onInputs({ ...inputs, image, mask: null });
  };

  const drop = useFileDrop((file) => void take(file));

  useEffect(() => {
    if (size !== null && view.current !== null && brush.current !== null) brush.current.show(view.current);
  }, [size, masking]);

  const update = () => {
    const current = brush.current;
    if (current === null) return;
    if (view.current !== null) current.show(view.current);
    props.onInputs({ ...inputs, mask: current.painted ? current.toDataUrl() : null });
  };

  const startMask = () => {
    if (size === null) return;
    brush.current ??= new MaskBrush(size.width, size.height);
    setMasking(true);
  };

  const paint = (event: PointerEvent, erase: boolean) => {
    const canvas = view.current;
    if (canvas === null || brush.current === null || size === null) return;
    const box = canvas.getBoundingClientRect();
    const scale = size.width / box.width;
    brush.current.dab(
      (event.clientX - box.left) * scale,
      (event.clientY - box.top) * scale,
      radius * scale,
      erase,
    );
    if (view.current !== null) brush.current.show(view.current);
  };

  return (
    <details class="input-image" open={inputs.image !== null}>
      <summary>Image to image{inputs.mask === null ? "" : " · inpainting"}</summary>
      <label class={drop.over ? "drop over" : "drop"} {...drop.handlers}>
        Input image (drop one here, or choose)
        <input type="file" accept="image/*" onChange={(event) => void take(event.currentTarget.files?.[0])} />
      </label>
      {inputs.image === null ? null : (
        <>
          <div class="mask-stage">
            <img
              src={inputs.image}
              alt="What the run starts from"
              onLoad={(event) =>
                setSize({
                  width: event.currentTarget.naturalWidth,
                  height: event.currentTarget.naturalHeight,
                })
              }
            />
            {masking && size !== null ? (
              <canvas
                ref={view}
                width={size.width}
                height={size.height}
                aria-label="Mask: paint where the model repaints"
                role="img"
                onPointerDown={(event) => {
                  drawing.current = true;
                  event.currentTarget.setPointerCapture(event.pointerId);
                  paint(event, event.button === 2 || event.shiftKey);
                }}
                onPointerMove={(event) => {
                  if (drawing.current) paint(event, event.shiftKey);
                }}
                onPointerUp={() => {
                  drawing.current = false;
                  update();
                }}
                onContextMenu={(event) => event.preventDefault()}
              />
            ) : null}
          </div>
          <div class="row">
            <NumberField
              spec={STRENGTH}
              label="Denoising strength"
              value={props.draft.strength}
              step={0.05}
              onInput={(strength) => props.onDraft({ ...props.draft, strength })}
            />
            {inputs.mask === null ? null : (
              <label>
                Masked content
                <select
                  value={props.draft.inpainting_fill}
                  onChange={(event) =>
                    props.onDraft({
                      ...props.draft,
                      inpainting_fill: event.currentTarget.value as MaskedContent,
                    })
                  }
                >
                  {MASKED_CONTENTS.map((content) => (
                    <option key={content} value={content}>
                      {MASKED_CONTENT_LABELS[content]}
                    </option>
                  ))}
                </select>
              </label>
            )}
            {masking ? (
              <label>
                Brush size
                <input
                  type="range"
                  min={2}
                  max={64}
                  value={radius}
                  onInput={(event) => setRadius(event.currentTarget.valueAsNumber)}
                />
              </label>
            ) : null}
          </div>
          <div class="row">
            {masking ? (
              MASK_ACTIONS.map(([label, act]) => (
                <button
                  key={label}
                  type="button"
                  onClick={() => {
                    if (brush.current !== null) act(brush.current);
                    update();
                  }}
                >
                  {label}
                </button>
              ))
            ) : (
              <button type="button" onClick={startMask} disabled={size === null}>
                Paint a mask (inpainting)
              </button>
            )}
            <button
              type="button"
              class="secondary"
              onClick={() => {
                brush.current = null;
                setMasking(false);
                props.onInputs({ ...inputs, image: null, mask: null });
              }}
            >
              Remove the image
            </button>
          </div>
          <p class="hint">
            {masking
              ? "Paint with the mouse or a finger; Shift or the right button erases. White is repainted."
              : "The run starts from this image; the strength says how far it may move from it."}
          </p>
        </>
      )}
    </details>
  );
}
