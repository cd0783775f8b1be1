import type { JobProgress } from "@sdgate/shared";

/** What a job's `progress` event carries (the contract's `JobProgress`). */
export type Progress = JobProgress;

export const BAR_WIDTH = 30;

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * One line of the progress bar, e.g. `[#########.....................]  30%  step 6/20 · 1.4 s left`.
 *
 * @example
 * io.err(`\r${progressLine(progress)}`);
 */
export function progressLine(progress: Progress, width = BAR_WIDTH): string {
  const fraction = Math.min(1, Math.max(0, progress.fraction));
  const filled = Math.round(fraction * width);
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const images = progress.images > 1 ? ` · ${progress.images} images` : "";
  return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${percent}  step ${progress.step}/${progress.steps}${images} · ${seconds(progress.eta_ms)} left`;
}

/** The line while the job waits for a GPU. */
export function queuedLine(position: number, estimatedWaitMs: number): string {
  return `queued: position ${position} · about ${seconds(estimatedWaitMs)} wait`;
}
