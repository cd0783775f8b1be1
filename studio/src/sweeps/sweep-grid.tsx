import type { SweepCellView } from "@sdgate/shared";
import { FIELD_LABELS } from "./axis-values.ts";
import type { Grid } from "./grid.ts";

/** What a cell without an image shows: how it stands. */
const STATUS_TEXT: Record<SweepCellView["status"], string> = {
  pending: "Waiting",
  running: "Running…",
  succeeded: "Done",
  failed: "Failed",
  cancelled: "Cancelled",
};

function CellButton(props: {
  cell: SweepCellView | undefined;
  label: string;
  onOpen: (index: number) => void;
}) {
  const { cell } = props;
  if (cell === undefined) return <span>—</span>;
  const image = cell.images[0]?.url ?? null;
  const status =
    cell.status === "failed" && cell.error_code !== null
      ? `Failed: ${cell.error_code}`
      : STATUS_TEXT[cell.status];
  return (
    <button
      type="button"
      class={`sweep-cell ${cell.status}`}
      aria-label={`Open the cell ${props.label} (${status})`}
      onClick={() => props.onOpen(cell.index)}
    >
      {image !== null && cell.status === "succeeded" ? (
        <img src={image} alt="" loading="lazy" />
      ) : (
        <span>{status}</span>
      )}
    </button>
  );
}

/** The grid: X across, Y down, one tab per Z value; every cell a button that opens it large. */
export function SweepGrid(props: {
  grid: Grid;
  page: number;
  onPage: (page: number) => void;
  onOpen: (index: number) => void;
}) {
  const { grid, page } = props;
  const [x, y, z] = grid.axes;
  const across = x === null || x === undefined ? "" : FIELD_LABELS[x.field];
  const down = y === null || y === undefined ? "" : FIELD_LABELS[y.field];
  const pageLabel = grid.pages[page]?.label ?? "";
  return (
    <section class="card" aria-label="Grid">
      {z !== null && z !== undefined ? (
        <div role="tablist" aria-label={`${FIELD_LABELS[z.field]} pages`} class="sweep-tabs">
          {grid.pages.map((heading) => (
            <button
              key={heading.index}
              type="button"
              role="tab"
              aria-selected={heading.index === page}
              onClick={() => props.onPage(heading.index)}
            >
              {heading.label}
            </button>
          ))}
        </div>
      ) : null}
      <div class="sweep-scroll">
        <table class="sweep-grid">
          <caption>
            {across} across{down === "" ? "" : `, ${down} down`}
            {pageLabel === "" ? "" : ` · ${pageLabel}`}
          </caption>
          <thead>
            <tr>
              <td />
              {grid.columns.map((column) => (
                <th key={column.index} scope="col">
                  {column.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {grid.rows.map((row) => (
              <tr key={row.index}>
                <th scope="row">{row.label}</th>
                {grid.columns.map((column) => (
                  <td key={column.index}>
                    <CellButton
                      cell={grid.cellAt(page, row.index, column.index)}
                      label={[column.label, row.label, pageLabel].filter((part) => part !== "").join(", ")}
                      onOpen={props.onOpen}
                    />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
