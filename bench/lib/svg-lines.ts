import { COLOURS, escapeXml } from "./svg-bars.ts";

export interface LineSeries {
  label: string;
  points: readonly (readonly [number, number])[];
}

/**
 * Lines over a shared x axis, as a standalone SVG (e.g. a process's memory over a soak): whether a
 * curve levels off or keeps climbing is plainer in a picture than in a slope.
 */
export function linesSvg(title: string, xUnit: string, yUnit: string, series: readonly LineSeries[]): string {
  const [left, top, width, height] = [60, 40, 600, 260];
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1e-9, ...all.map(([x]) => x));
  const yMax = Math.max(1e-9, ...all.map(([, y]) => y)) * 1.1;
  const px = (x: number) => left + (x / xMax) * width;
  const py = (y: number) => top + height - (y / yMax) * height;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 30}" height="${top + height + 70}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${left}" y1="${top + height}" x2="${left + width}" y2="${top + height}" stroke="#999"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + height}" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = (yMax * i) / 4;
    const x = (xMax * i) / 4;
    parts.push(
      `<text x="${left - 6}" y="${(py(y) + 4).toFixed(1)}" text-anchor="end">${y.toFixed(0)}</text>`,
      `<text x="${px(x).toFixed(1)}" y="${top + height + 16}" text-anchor="middle">${x.toFixed(1)}</text>`,
    );
  }
  parts.push(
    `<text x="${left + width / 2}" y="${top + height + 34}" text-anchor="middle">${escapeXml(xUnit)}</text>`,
    `<text x="14" y="${top + height / 2}" transform="rotate(-90 14 ${top + height / 2})" text-anchor="middle">${escapeXml(yUnit)}</text>`,
  );
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const path = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
    parts.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${path}"/>`);
    const legendX = left + 10 + i * 180;
    parts.push(
      `<rect x="${legendX}" y="${top + height + 46}" width="12" height="12" fill="${colour}"/>`,
      `<text x="${legendX + 16}" y="${top + height + 56}">${escapeXml(s.label)}</text>`,
    );
  });
  parts.push("</svg>");
  return parts.join("\n");
}
