export interface BarSegment {
  label: string;
  value: number;
}

/** Tableau 10: distinct for up to ten series, then they repeat. */
export const COLOURS = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

export function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&${{ "<": "lt", ">": "gt", "&": "amp", '"': "quot" }[c]};`);
}

/**
 * A horizontal stacked bar per row (e.g. a generation's time by stage), as a standalone SVG: a picture
 * of where the time goes reads faster than a table.
 */
export function stackedBarsSvg(
  title: string,
  unit: string,
  rows: { name: string; segments: BarSegment[] }[],
): string {
  const labelWidth = 170;
  const barWidth = 560;
  const rowHeight = 34;
  const legendLabels = [...new Set(rows.flatMap((r) => r.segments.map((s) => s.label)))];
  const max = Math.max(...rows.map((r) => r.segments.reduce((sum, s) => sum + s.value, 0)));
  const width = labelWidth + barWidth + 110;
  // The legend wraps to as many lines as its labels need (about 7.5 px per character at 12 px).
  const legend: { label: string; x: number; line: number }[] = [];
  let legendX = 10;
  let line = 0;
  for (const label of legendLabels) {
    const itemWidth = 28 + label.length * 7.5;
    if (legendX > 10 && legendX + itemWidth > width) {
      legendX = 10;
      line += 1;
    }
    legend.push({ label, x: Math.round(legendX), line });
    legendX += itemWidth;
  }
  const height = 50 + rows.length * rowHeight + 30 + line * 18;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  rows.forEach((row, i) => {
    const y = 35 + i * rowHeight;
    parts.push(`<text x="10" y="${y + 17}">${escapeXml(row.name)}</text>`);
    let x = labelWidth;
    let total = 0;
    for (const segment of row.segments) {
      const w = (segment.value / max) * barWidth;
      const colour = COLOURS[legendLabels.indexOf(segment.label) % COLOURS.length];
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="24" fill="${colour}"><title>${escapeXml(`${segment.label}: ${segment.value.toFixed(1)} ${unit}`)}</title></rect>`,
      );
      x += w;
      total += segment.value;
    }
    parts.push(`<text x="${(x + 6).toFixed(1)}" y="${y + 17}">${total.toFixed(1)} ${escapeXml(unit)}</text>`);
  });
  const firstLegendY = 50 + rows.length * rowHeight + 12;
  legend.forEach(({ label, x, line }, i) => {
    const y = firstLegendY + line * 18;
    parts.push(`<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>`);
    parts.push(`<text x="${x + 16}" y="${y}">${escapeXml(label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
