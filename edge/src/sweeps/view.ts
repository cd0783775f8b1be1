import {
  type GenerationRequest,
  SWEEP_CELL_STATUSES,
  type Sweep,
  type SweepAxis,
  type SweepCellView,
  type SweepCoordinates,
  type SweepSummary,
  type SweepTotals,
} from "@sdgate/shared";
import { viewOf as runViewOf } from "../routes/runs.ts";
import { type CellRow, type CellState, cellStatus, type SweepRow } from "./store.ts";

type Links = { secret: string; origin: string } | null;

function emptyTotals(): SweepTotals {
  return Object.fromEntries(SWEEP_CELL_STATUSES.map((status) => [status, 0])) as SweepTotals;
}

function summaryOf(row: SweepRow, totals: SweepTotals): SweepSummary {
  return {
    object: "sweep",
    id: row.id,
    name: row.name,
    created_at: row.created_at,
    key_id: row.key_id,
    team_id: row.team_id,
    experiment: row.experiment,
    cancelled_at: row.cancelled_at,
    request: JSON.parse(row.request) as Record<string, unknown>,
    axes: JSON.parse(row.axes) as SweepAxis[],
    price: { cells: row.cells, credits: row.credits, gpu_seconds: row.gpu_seconds },
    totals,
  };
}

/** A sweep as lists show it: its totals from `countCells`. */
export function sweepSummaryOf(
  row: SweepRow,
  counts: ReadonlyArray<{ state: CellState; status: string | null; count: number }>,
): SweepSummary {
  const totals = emptyTotals();
  for (const { state, status, count } of counts) {
    const run = status === null ? null : { status: status as "succeeded" | "failed" | "cancelled" };
    totals[cellStatus({ state, run: run as CellRow["run"] })] += count;
  }
  return summaryOf(row, totals);
}

/** A sweep with its cells, each linked to its run and that run's images. */
export async function sweepViewOf(row: SweepRow, cells: readonly CellRow[], links: Links): Promise<Sweep> {
  const totals = emptyTotals();
  const views = await Promise.all(
    cells.map(async (cell): Promise<SweepCellView> => {
      const status = cellStatus(cell);
      totals[status] += 1;
      const run = cell.run === null ? null : await runViewOf(cell.run, links);
      return {
        index: cell.idx,
        coordinates: JSON.parse(cell.coordinates) as SweepCoordinates,
        request: JSON.parse(cell.request) as GenerationRequest,
        status,
        job_id: cell.state === "submitted" ? cell.job_id : null,
        run_id: run?.id ?? null,
        error_code: run?.error_code ?? cell.error_code,
        cost: run?.cost ?? null,
        images: run?.images ?? [],
      };
    }),
  );
  return { ...summaryOf(row, totals), cells: views };
}
