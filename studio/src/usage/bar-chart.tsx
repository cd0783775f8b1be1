import { useEffect, useRef, useState } from "preact/hooks";
import { axisTicks, type Series } from "./series.ts";

/** Colours told apart by most colour-blind eyes too (Okabe–Ito's), and grey for "the others". */
export const SERIES_COLOURS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00"];
const OTHER_COLOUR = "#8a8a8a";
export const colourOf = (series: Series, index: number) =>
  series.other ? OTHER_COLOUR : (SERIES_COLOURS[index % SERIES_COLOURS.length] as string);

const HEIGHT = 240;
const MARGIN = { top: 12, right: 8, bottom: 28, left: 52 };
/** The least room an x-axis label needs, px: labels closer than this are thinned out. */
const LABEL_PX = 56;

export interface BarChartProps {
  /** What is counted and how it is split: "Credits by model, per day". */
  title: string;
  periods: readonly string[];
  series: readonly Series[];
  format: (value: number) => string;
  /** Whether values are counts (whole numbers): the axis then never ticks between them. */
  whole: boolean;
  /** Where a series' runs are (`null`: nowhere to go). */
  hrefOf: (series: Series) => string | null;
}

/** `2026-12-06` as `12-06`, `2026-12-06T14` as `06 14h`. */
const shortPeriod = (period: string) =>
  period.length > 10 ? `${period.slice(8, 10)} ${period.slice(11, 13)}h` : period.slice(5);

/**
 * A stacked bar chart drawn as SVG: one bar per period, one colour per series, value axis with round
 * ticks, a legend whose names open each series' runs, and the same numbers as a table for screen
 * readers (the SVG itself is one image with a summary for its name). Fits its container's width.
 */
export function BarChart(props: BarChartProps) {
  const { periods, series, format } = props;
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);
  useEffect(() => {
    const element = box.current;
    if (element === null) return;
    const observer = new ResizeObserver(([entry]) => {
      if (entry) setWidth(Math.max(240, Math.floor(entry.contentRect.width)));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const totals = periods.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const ticks = axisTicks(Math.max(0, ...totals), props.whole ? 1 : 0);
  const top = ticks.at(-1) ?? 1;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const slot = plotWidth / Math.max(1, periods.length);
  const barWidth = Math.max(1, slot * 0.7);
  const y = (value: number) => MARGIN.top + plotHeight - (value / top) * plotHeight;
  const labelEvery = Math.max(1, Math.ceil(LABEL_PX / slot));
  const grand = totals.reduce((sum, total) => sum + total, 0);
  const summary = `${props.title}, ${periods[0] ?? ""} to ${periods.at(-1) ?? ""}: ${format(grand)} in all${
    series.length === 0 ? "" : `; ${series.map((s) => `${s.name} ${format(s.total)}`).join(", ")}`
  }.`;

  return (
    <figure class="usage-chart">
      <div ref={box} class="usage-chart-box">
        <svg role="img" aria-label={summary} width={width} height={HEIGHT} viewBox={`0 0 ${width} ${HEIGHT}`}>
          {ticks.map((tick) => (
            <g key={tick}>
              <line class="grid" x1={MARGIN.left} x2={width - MARGIN.right} y1={y(tick)} y2={y(tick)} />
              <text class="tick" x={MARGIN.left - 6} y={y(tick)} text-anchor="end" dominant-baseline="middle">
                {format(tick)}
              </text>
            </g>
          ))}
          {periods.map((period, i) => {
            let base = 0;
            const x = MARGIN.left + i * slot + (slot - barWidth) / 2;
            return (
              <g key={period}>
                {series.map((s, index) => {
                  const value = s.values[i] ?? 0;
                  if (value === 0) return null;
                  const y0 = y(base);
                  base += value;
                  const href = props.hrefOf(s);
                  return (
                    // biome-ignore lint/a11y/noStaticElementInteractions: a click on a bar is a shortcut for the pointer; the legend's links open the same runs by keyboard and screen reader
                    <rect
                      key={s.id}
                      x={x}
                      y={y(base)}
                      width={barWidth}
                      height={Math.max(0.5, y0 - y(base))}
                      fill={colourOf(s, index)}
                      class={href === null ? undefined : "opens"}
                      onClick={href === null ? undefined : () => location.assign(href)}
                    >
                      <title>{`${s.name}, ${period}: ${format(value)}`}</title>
                    </rect>
                  );
                })}
                {i % labelEvery === 0 ? (
                  <text class="tick" x={x + barWidth / 2} y={HEIGHT - 8} text-anchor="middle">
                    {shortPeriod(period)}
                  </text>
                ) : null}
              </g>
            );
          })}
          <line
            class="axis"
            x1={MARGIN.left}
            x2={width - MARGIN.right}
            y1={MARGIN.top + plotHeight}
            y2={MARGIN.top + plotHeight}
          />
        </svg>
      </div>
      <figcaption>
        <ul class="usage-legend" aria-label="Legend">
          {series.map((s, index) => {
            const href = props.hrefOf(s);
            return (
              <li key={s.id}>
                <span class="swatch" style={{ background: colourOf(s, index) }} aria-hidden="true" />
                {href === null ? s.name : <a href={href}>{s.name}</a>}{" "}
                <span class="muted">{format(s.total)}</span>
              </li>
            );
          })}
        </ul>
      </figcaption>
      <table class="usage-sr-only">
        <caption>{props.title}</caption>
        <thead>
          <tr>
            <th scope="col">Period</th>
            {series.map((s) => (
              <th key={s.id} scope="col">
                {s.name}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {periods.map((period, i) => (
            <tr key={period}>
              <th scope="row">{period}</th>
              {series.map((s) => (
                <td key={s.id}>{format(s.values[i] ?? 0)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
