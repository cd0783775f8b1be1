/** A one-line progress bar on stderr (stdout stays clean for the results). */
export function progressBar(label: string, total: number): { tick(detail?: string): void; done(): void } {
  let count = 0;
  const width = 30;
  const draw = (detail = "") => {
    const filled = Math.round((count / total) * width);
    const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
    process.stderr.write(`\r${label} ${bar} ${count}/${total} ${detail}`.padEnd(100));
  };
  draw();
  return {
    tick(detail) {
      count++;
      draw(detail);
    },
    done() {
      process.stderr.write("\n");
    },
  };
}
