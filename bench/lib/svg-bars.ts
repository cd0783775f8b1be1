export interface BarSegment {
  label: string;
  value: number;
}

export const COLOURS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1"];

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
  const height = 50 + rows.length * rowHeight + 30;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + barWidth + 110}" height="${height}" font-family="sans-serif" font-size="12">`,
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
  let legendX = 10;
  const legendY = height - 18;
  legendLabels.forEach((label, i) => {
    parts.push(
      `<rect x="${legendX}" y="${legendY - 10}" width="12" height="12" fill="${COLOURS[i % COLOURS.length]}"/>`,
    );
    parts.push(`<text x="${legendX + 16}" y="${legendY}">${escapeXml(label)}</text>`);
    legendX += 22 + label.length * 7;
  });
  parts.push("</svg>");
  return parts.join("\n");
}
