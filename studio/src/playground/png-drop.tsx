import { type ImageRecipe, readImageRecipe } from "@sdgate/shared";
import { useState } from "preact/hooks";
import { useFileDrop } from "../components/file-drop.ts";

/**
 * Drop a PNG (sdgate's, A1111's or ComfyUI's) or choose one: its recipe goes to `onRecipe`, which
 * fills the form; an image without one says so.
 */
export function PngDrop(props: { onRecipe: (recipe: ImageRecipe) => void }) {
  const [note, setNote] = useState<string | null>(null);

  const read = async (file: File | undefined) => {
    if (file === undefined) return;
    try {
      const recipe = await readImageRecipe(new Uint8Array(await file.arrayBuffer()));
      if (recipe === null) setNote(`${file.name} says nothing about how it was made.`);
      else {
        setNote(null);
        props.onRecipe(recipe);
      }
    } catch (error) {
      setNote(`${file.name} could not be read: ${String(error)}`);
    }
  };

  const drop = useFileDrop((file) => void read(file));
  return (
    <section aria-label="Drop an image" class={drop.over ? "drop over" : "drop"} {...drop.handlers}>
      <label>
        PNG info: drop an image here, or choose one
        <input
          type="file"
          accept="image/png"
          onChange={(event) => void read(event.currentTarget.files?.[0])}
        />
      </label>
      {note === null ? null : <p role="alert">{note}</p>}
    </section>
  );
}
