import type { Run, SharedRun } from "@sdgate/shared";

/** A run as the comparison shows it, whether from the team's history or a share link. */
export interface ComparedRun {
  id: string;
  /** What the person reads for it: `Run 2 · seed 12`. */
  label: string;
  /** Its first image (a signed link); `null` when it has none to show. */
  imageUrl: string | null;
  width: number;
  height: number;
  request: Record<string, unknown>;
}

const sideOf = (value: unknown) => (typeof value === "number" && value > 0 ? value : 512);

/**
 * The comparison's view of a run, labelled by its place (the same run may be compared with itself).
 *
 * @example
 * runs.map((run, index) => comparedOf(run, index)); // [{ label: "Run 1 · seed 11", … }, …]
 */
export function comparedOf(run: Run | SharedRun, index: number): ComparedRun {
  const image = run.images[0];
  return {
    id: run.id,
    label: `Run ${index + 1}${image === undefined ? "" : ` · seed ${image.seed}`}`,
    imageUrl: image?.url ?? null,
    width: sideOf(run.request.width),
    height: sideOf(run.request.height),
    request: run.request,
  };
}
