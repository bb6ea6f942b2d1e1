import { useEffect, useRef } from 'preact/hooks';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Line {
  label: string;
  values: Array<number | null>;
  color: string;
  dash?: number[];
}

interface Props {
  /** What the chart shows, for screen readers (the figures are in the text beside it too). */
  label: string;
  x: number[];
  lines: Line[];
  height?: number;
  /** How to print a value on the y axis. */
  unit?: (v: number) => string;
  yRange?: [number, number];
}

/** A small uPlot line chart that follows its container's width. */
export function Chart({ label, x, lines, height = 90, unit = (v) => String(v), yRange }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const key = lines.map((l) => l.label).join('|') + (yRange ? yRange.join(',') : '');

  useEffect(() => {
    const el = box.current!;
    let resize: ResizeObserver | undefined;
    let cancelled = false;
    const opts: uPlot.Options = {
      width: Math.max(120, el.clientWidth),
      height,
      legend: { show: false },
      cursor: { show: true, points: { show: false }, drag: { x: false, y: false } },
      scales: { x: { time: true }, y: yRange ? { range: yRange } : { range: (_u, min, max) => [0, Math.max(1, max ?? min ?? 1)] } },
      axes: [
        {
          stroke: '#888',
          grid: { show: false },
          ticks: { show: false },
          size: 22,
          font: '10px system-ui',
          values: (_u, vals) => vals.map((v) => new Date(v * 1000).toTimeString().slice(0, 5)),
        },
        { stroke: '#888', grid: { stroke: 'rgba(128,128,128,0.15)' }, ticks: { show: false }, size: 44, font: '10px system-ui', values: (_u, vals) => vals.map(unit) },
      ],
      series: [{}, ...lines.map((l) => ({ label: l.label, stroke: l.color, width: 1.5, dash: l.dash, spanGaps: false, points: { show: true, size: 4, fill: l.color } }))],
    };
    // uPlot loads with the first chart: the other pages never parse it.
    import('uplot').then(({ default: UPlot }) => {
      if (cancelled) return;
      plot.current = new UPlot(opts, [x, ...lines.map((l) => l.values)] as uPlot.AlignedData, el);
      resize = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(120, el.clientWidth), height }));
      resize.observe(el);
    });
    return () => {
      cancelled = true;
      resize?.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, [key, height]);

  useEffect(() => {
    plot.current?.setData([x, ...lines.map((l) => l.values)] as uPlot.AlignedData);
  }, [x, lines]);

  return (
    <figure class="chart">
      <div ref={box} role="img" aria-label={label} />
      <figcaption>
        {lines.map((l) => (
          <span class="key" key={l.label}>
            <span class={`swatch ${l.dash ? 'dashed' : ''}`} style={{ borderColor: l.color }} />
            {l.label}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}
