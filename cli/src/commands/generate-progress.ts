import type { JobEvent, JobProgress } from "@sdgate/sdk";

export const BAR_WIDTH = 30;

// Each redraw covers the whole previous line.
const LINE_CHARS = 80;

function seconds(ms: number): string {
  return ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * One line of the progress bar, e.g. `[#########.....................]  30%  step 6/20 · 1.4 s left`.
 *
 * @example
 * io.err(`\r${progressLine(progress)}`);
 */
export function progressLine(progress: JobProgress, width = BAR_WIDTH): string {
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

/**
 * Draws a job's events on one line of `err`, redrawn in place (queue position, then the bar); a retry
 * on another backend gets a line of its own. `end()` finishes the line, so what follows starts afresh.
 *
 * @example
 * const painter = progressPainter(io.err);
 * try { for await (const event of client.jobs.events(id)) painter.draw(event); } finally { painter.end(); }
 */
export function progressPainter(err: (text: string) => void) {
  let drawn = false;
  const redraw = (line: string) => {
    err(`\r${line.padEnd(LINE_CHARS)}`);
    drawn = true;
  };
  const end = () => {
    if (drawn) err("\n");
    drawn = false;
  };
  return {
    draw(event: JobEvent): void {
      if (event.type === "progress") redraw(progressLine(event.data));
      else if (event.type === "queued") redraw(queuedLine(event.data.position, event.data.estimated_wait_ms));
      else if (event.type === "attempt" && event.data.attempt > 1) {
        end();
        err(`retrying on ${event.data.backend} (attempt ${event.data.attempt})\n`);
      }
    },
    end,
  };
}
