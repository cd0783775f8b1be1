import { useState } from "preact/hooks";

/**
 * A drop zone's state and handlers: `over` while a file is dragged above it, and the first dropped
 * file handed to `onFile`. Spread `handlers` on the zone's element.
 *
 * @example
 * const drop = useFileDrop((file) => void read(file));
 * return <label class={drop.over ? "drop over" : "drop"} {...drop.handlers}>…</label>;
 */
export function useFileDrop(onFile: (file: File | undefined) => void) {
  const [over, setOver] = useState(false);
  return {
    over,
    handlers: {
      onDragOver: (event: DragEvent) => {
        event.preventDefault();
        setOver(true);
      },
      onDragLeave: () => setOver(false),
      onDrop: (event: DragEvent) => {
        event.preventDefault();
        setOver(false);
        onFile(event.dataTransfer?.files[0]);
      },
    },
  };
}
