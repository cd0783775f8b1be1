import type { SweepAxis, SweepCellView } from "@sdgate/shared";
import { useEffect, useRef } from "preact/hooks";
import { hrefOf } from "../shell/route.ts";
import { playgroundHrefOf, valueLabel } from "./grid.ts";

/** One cell, large: its image, where it sits on each axis, its recipe, and the playground with its request. */
export function CellDialog(props: { cell: SweepCellView; axes: readonly SweepAxis[]; onClose: () => void }) {
  const { cell, axes } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element !== null && !element.open) element.showModal();
  }, []);
  const positions = [cell.coordinates.x, cell.coordinates.y, cell.coordinates.z];
  const place = axes.map((axis, index) => valueLabel(axis, positions[index] ?? 0)).join(", ");
  const image = cell.images[0]?.url ?? null;
  return (
    <dialog ref={dialog} class="sweep-cell-dialog" aria-labelledby="cell-title" onClose={props.onClose}>
      <h2 id="cell-title">Cell {place}</h2>
      {image !== null ? (
        <img src={image} alt={`${String(cell.request.prompt ?? "")} (${place})`} />
      ) : (
        <p>
          {cell.status === "failed"
            ? `Failed: ${cell.error_code ?? "unknown error"}`
            : `This cell is ${cell.status}.`}
        </p>
      )}
      <h3>Recipe</h3>
      <dl class="recipe">
        {Object.entries(cell.request).map(([name, value]) => (
          <div key={name}>
            <dt>{name}</dt>
            <dd>{typeof value === "string" ? value : JSON.stringify(value)}</dd>
          </div>
        ))}
      </dl>
      <p>
        {cell.status === "succeeded" ? `${cell.cost ?? 0} credits charged · ` : ""}
        {cell.run_id !== null
          ? `run ${cell.run_id}`
          : cell.job_id !== null
            ? `job ${cell.job_id}`
            : "not submitted"}
      </p>
      <div class="row">
        <a class="button" href={playgroundHrefOf(cell.request)}>
          Open in the playground
        </a>
        {cell.run_id !== null ? (
          <a href={hrefOf("history", [], { q: String(cell.request.prompt ?? "") })}>Find it in the history</a>
        ) : null}
        <button type="button" onClick={() => dialog.current?.close()}>
          Close
        </button>
      </div>
    </dialog>
  );
}
