import type { SharedRun, ShareLayout } from "@sdgate/shared";

type GridLayout = Extract<ShareLayout, { kind: "grid" }>;

/** A shared grid: the axes' values as headers, each cell its run's image (empty where none). */
export function SharedGrid(props: { layout: GridLayout; runs: readonly SharedRun[] }) {
  const { layout } = props;
  const byId = new Map(props.runs.map((run) => [run.id, run]));
  const cellAt = (x: number, y: number) =>
    layout.cells.find((cell) => cell.x === x && cell.y === y)?.run ?? null;
  return (
    <div class="table-scroll">
      <table class="shared-grid">
        <caption>
          {layout.y.label} (rows) × {layout.x.label} (columns)
        </caption>
        <thead>
          <tr>
            <td />
            {layout.x.values.map((value) => (
              <th key={value} scope="col">
                {layout.x.label} {value}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {layout.y.values.map((rowValue, y) => (
            <tr key={rowValue}>
              <th scope="row">
                {layout.y.label} {rowValue}
              </th>
              {layout.x.values.map((columnValue, x) => {
                const run = byId.get(cellAt(x, y) ?? "");
                const url = run?.images[0]?.url ?? null;
                return (
                  <td key={columnValue}>
                    {url === null ? (
                      <span class="empty">No image</span>
                    ) : (
                      <img
                        src={url}
                        alt={`${layout.x.label} ${columnValue}, ${layout.y.label} ${rowValue}: ${run?.prompt ?? ""}`}
                      />
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
