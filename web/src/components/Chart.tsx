/** A small SVG bar/line chart: no chart library, nothing the CSP has to allow. */
import { useT } from '../i18n';

export interface Series {
  name: string;
  color: string;
  values: number[];
  kind?: 'bar' | 'line';
}

export function Chart({ labels, series, height = 180, testId }: { labels: string[]; series: Series[]; height?: number; testId?: string }) {
  const t = useT();
  const width = 640;
  const pad = { l: 36, r: 8, t: 8, b: 22 };
  const n = Math.max(1, labels.length);
  const max = niceCeil(Math.max(0, ...series.flatMap((s) => s.values)));
  const x = (i: number) => pad.l + ((width - pad.l - pad.r) * (i + 0.5)) / n;
  const y = (v: number) => height - pad.b - ((height - pad.t - pad.b) * v) / max;
  const bars = series.filter((s) => (s.kind ?? 'bar') === 'bar');
  const bw = Math.max(1, ((width - pad.l - pad.r) / n) * 0.8) / Math.max(1, bars.length);
  const tickEvery = Math.max(1, Math.ceil(n / 8));
  const empty = series.every((s) => s.values.every((v) => v === 0));
  return (
    <div data-testid={testId}>
      <svg viewBox={`0 0 ${width} ${height}`} width="100%" role="img" aria-label={series.map((s) => s.name).join(', ')}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={pad.l} x2={width - pad.r} y1={y(max * f)} y2={y(max * f)} stroke="#eee" />
            <text x={pad.l - 4} y={y(max * f) + 4} fontSize="10" textAnchor="end" fill="#999">
              {Math.round(max * f)}
            </text>
          </g>
        ))}
        {bars.map((s, k) =>
          s.values.map((v, i) => (
            <rect key={`${s.name}${i}`} x={x(i) - (bw * bars.length) / 2 + k * bw} y={y(v)} width={bw} height={Math.max(0, height - pad.b - y(v))} fill={s.color}>
              <title>{`${labels[i]} ${s.name}: ${v}`}</title>
            </rect>
          )),
        )}
        {series
          .filter((s) => s.kind === 'line')
          .map((s) => (
            <polyline key={s.name} fill="none" stroke={s.color} strokeWidth="2" points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')} />
          ))}
        {labels.map((l, i) =>
          i % tickEvery === 0 ? (
            <text key={i} x={x(i)} y={height - 6} fontSize="10" textAnchor="middle" fill="#999">
              {l}
            </text>
          ) : null,
        )}
        {empty && (
          <text x={width / 2} y={height / 2} textAnchor="middle" fill="#bbb" fontSize="13">
            {t('这段时间没有数据', 'no data in this period')}
          </text>
        )}
      </svg>
      <div className="chart-legend">
        {series.map((s) => (
          <span key={s.name}>
            <i style={{ background: s.color }} />
            {s.name}
          </span>
        ))}
      </div>
    </div>
  );
}

/** An axis top that divides into readable halves: 4, 10, 20, 50, 100 … */
function niceCeil(v: number): number {
  if (v <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
