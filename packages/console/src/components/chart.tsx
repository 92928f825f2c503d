import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLORS = ['#0b5cab', '#ba0517', '#2e844a', '#dd7a01', '#9050e9', '#0d9dda'];

/**
 * A time series chart (uPlot) with a text alternative: the chart is an image to screen readers,
 * labelled with what it shows and each series' total.
 */
export function Chart({ title, times, series, unit }: { title: string; times: number[]; series: { label: string; values: number[] }[]; unit: string }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current!;
    const plot = new uPlot({
      width: Math.max(320, el.clientWidth || 560), height: 220,
      scales: { x: { time: true } },
      axes: [{}, { label: unit }],
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLORS[i % COLORS.length], width: 2 }))],
    }, [times.map((t) => t / 1000), ...series.map((s) => s.values)], el);
    return () => plot.destroy();
  }, [times, series, unit]);
  const summary = series.map((s) => `${s.label}: ${s.values.reduce((a, b) => a + b, 0)}`).join(', ') || 'no data yet';
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} role="img" aria-label={`${title}, last ${times.length} minutes. Totals: ${summary}`} />
    </figure>
  );
}
