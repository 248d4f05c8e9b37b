/**
 * A uPlot time chart in a <figure>, with a caption and a "Show as table"
 * toggle giving the same numbers as text (for screen readers and copying).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { axisLabels, type AxisUnit } from '../lib/format.js';

export interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  /** A CSS custom property of the stylesheet (`--series-1`), so the line follows the colour scheme. */
  readonly color: string;
  readonly format: (value: number | null) => string;
  readonly dashed?: boolean;
}

export interface ChartProps {
  readonly id: string;
  readonly title: string;
  /** Bucket starts, Unix seconds. */
  readonly x: readonly number[];
  readonly bucket: 'hour' | 'day';
  readonly series: readonly ChartSeries[];
  /** How the value axis is labelled. */
  readonly unit: AxisUnit;
}

function bucketLabel(seconds: number, bucket: 'hour' | 'day'): string {
  const date = new Date(seconds * 1000);
  return bucket === 'day' ? date.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) : date.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

function PlotArea({ x, series, bucket, unit, label }: Pick<ChartProps, 'x' | 'series' | 'bucket' | 'unit'> & { label: string }) {
  const host = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const width = (): number => Math.max(240, element.clientWidth);
    const style = getComputedStyle(element);
    const colour = (name: string): string => style.getPropertyValue(name).trim() || 'currentColor';
    const options: uPlot.Options = {
      width: width(),
      height: 180,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: colour('--text'), grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' } },
        { stroke: colour('--text'), grid: { stroke: 'rgba(128,128,128,0.2)' }, ticks: { stroke: 'rgba(128,128,128,0.3)' }, size: 64, values: (_u, ticks) => axisLabels(ticks, unit) },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: colour(s.color), width: 2, points: { show: x.length <= 31 }, spanGaps: false, dash: s.dashed === true ? [6, 4] : undefined, value: (_u: uPlot, v: number | null) => s.format(v) }))],
    };
    const data = [x.slice(), ...series.map((s) => s.values.slice())] as uPlot.AlignedData;
    // Without a 2D canvas (a headless DOM) there is nothing to draw on; "Show as table" still gives the numbers.
    if (document.createElement('canvas').getContext('2d') === null) return;
    const plot = new uPlot(options, data, element);
    const observer = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => plot.setSize({ width: width(), height: 180 }));
    observer?.observe(element);
    return () => {
      observer?.disconnect();
      plot.destroy();
    };
  }, [x, series, bucket, unit]);

  return <div ref={host} class="plot" role="img" aria-label={label} />;
}

export function Chart({ id, title, x, bucket, series, unit }: ChartProps) {
  const [asTable, setAsTable] = useState(false);
  const summary = `${title}: ${series.map((s) => s.label).join(', ')} per ${bucket}, ${x.length} points`;
  return (
    <figure class="chart card" aria-label={title}>
      <figcaption>
        <span>{title}</span>
        <button type="button" class="quiet small" aria-expanded={asTable} aria-controls={`${id}-table`} onClick={() => setAsTable(!asTable)}>
          {asTable ? 'Show as chart' : 'Show as table'}
        </button>
      </figcaption>
      {asTable ? (
        <div class="scroll" id={`${id}-table`} tabIndex={0} role="region" aria-label={`${title}, as a table`}>
          <table>
            <caption class="visually-hidden">{title}</caption>
            <thead>
              <tr>
                <th scope="col">{bucket === 'day' ? 'Day' : 'Hour'}</th>
                {series.map((s) => (
                  <th scope="col" key={s.label} class="num">
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {x.map((t, i) => (
                <tr key={t}>
                  <th scope="row">{bucketLabel(t, bucket)}</th>
                  {series.map((s) => (
                    <td key={s.label} class="num">
                      {s.format(s.values[i] ?? null)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <PlotArea x={x} series={series} bucket={bucket} unit={unit} label={summary} />
      )}
    </figure>
  );
}
