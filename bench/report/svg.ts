/**
 * Two small chart kinds as inline SVG markup (strings, no DOM, no dependency), shared by the HTML
 * report and the browser page: a line chart (a measure against size, one line per implementation,
 * worst–best whiskers, an optional reference line) and a grouped bar chart on a log scale around 1
 * (speed-ups: bars up mean faster, down mean slower).
 */

/** One point of a line: its position, its median, and the spread of its samples. */
export interface LinePoint {
  x: number;
  /** Label of the x position (the case). */
  label: string;
  y: number;
  lo: number;
  hi: number;
}

/** A line chart. */
export interface LineChartSpec {
  title: string;
  yLabel: string;
  xLabel: string;
  /** `log`: x positions on a log scale (sizes), points joined by lines; `category`: the labels, evenly spaced, in order, points only. */
  xScale: 'log' | 'category';
  series: { name: string; points: LinePoint[] }[];
  /** A horizontal reference, e.g. the adapter's ceiling. */
  reference?: { y: number; label: string };
  /** Extra class on the root element (tests and styles find charts by class). */
  className?: string;
}

/** A grouped bar chart of ratios (log scale, baseline 1). */
export interface RatioChartSpec {
  title: string;
  yLabel: string;
  groups: { label: string; bars: { name: string; value: number }[] }[];
  className?: string;
}

const W = 680;
const H = 340;
const M = { left: 64, right: 160, top: 34, bottom: 76 };
const PALETTE = ['#8c564b', '#e377c2', '#17becf', '#bcbd22', '#d62728', '#393b79', '#637939', '#843c39'];
const FIXED: Record<string, string> = { engine: '#1f77b4', naive: '#7f7f7f', 'tfjs-webgpu': '#ff7f0e', 'jax-js': '#2ca02c', 'per-tensor': '#9467bd' };

/** A stable color per implementation name (the same impl has the same color in every chart). */
export function colorOf(name: string): string {
  if (FIXED[name]) return FIXED[name];
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

/** Escapes text for XML/HTML content and attributes. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n2 = (x: number) => (Math.round(x * 10) / 10).toString();

/** About five round tick values from 0 to `max`. */
function linearTicks(max: number): number[] {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = 0; v <= max * 1.0001; v += step) out.push(v);
  return out;
}

function tickLabel(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e6 || a < 0.01 ? v.toPrecision(2) : String(Number(v.toPrecision(3)));
}

/** Whether x-axis labels must be turned to fit: some label is wider than its `slot` pixels. */
function mustTurn(labels: readonly string[], slot: number): boolean {
  return labels.some((l) => l.length * 6 > slot);
}

/** An x-axis label under position `x`, turned (all of a chart's or none) so that long case names do not overlap. */
function xLabel(x: number, y: number, label: string, turn: boolean): string {
  const pos = `x="${n2(x)}" y="${y}"`;
  return turn
    ? `<text ${pos} text-anchor="end" font-size="10" transform="rotate(-30 ${n2(x)} ${y})">${esc(label)}</text>`
    : `<text ${pos} text-anchor="middle" font-size="10">${esc(label)}</text>`;
}

function frame(spec: { title: string; className?: string }, kind: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart ${kind}${spec.className ? ` ${esc(spec.className)}` : ''}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(spec.title)}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${esc(spec.title)}</title>`,
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="20" font-size="14" font-weight="600">${esc(spec.title)}</text>`,
    ...body,
    '</svg>',
  ].join('\n');
}

function legend(names: string[]): string[] {
  return names.map((name, i) => {
    const y = M.top + 10 + i * 18;
    const x = W - M.right + 14;
    return `<g class="legend-item"><rect x="${x}" y="${y - 9}" width="12" height="12" fill="${colorOf(name)}"/><text x="${x + 18}" y="${y + 1}">${esc(name)}</text></g>`;
  });
}

/** A line chart of one measure against size, one line per series. */
export function lineChart(spec: LineChartSpec): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const pts = spec.series.flatMap((s) => s.points);
  const labels: string[] = [];
  for (const p of pts) if (!labels.includes(p.label)) labels.push(p.label);
  const xs = pts.map((p) => p.x);
  const lx0 = Math.log2(Math.min(...xs));
  const lx1 = Math.log2(Math.max(...xs));
  const px = (p: LinePoint): number => {
    if (spec.xScale === 'category') return M.left + (labels.length === 1 ? pw / 2 : (labels.indexOf(p.label) / (labels.length - 1)) * pw);
    return M.left + (lx1 === lx0 ? pw / 2 : ((Math.log2(p.x) - lx0) / (lx1 - lx0)) * pw);
  };
  const yMax = Math.max(...pts.map((p) => Math.max(p.y, p.hi)), spec.reference?.y ?? 0) * 1.1 || 1;
  const py = (y: number) => M.top + ph - (y / yMax) * ph;
  const body: string[] = [];
  for (const t of linearTicks(yMax)) {
    body.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${n2(py(t))}" y2="${n2(py(t))}" stroke="#e5e5e5"/>`);
    body.push(`<text x="${M.left - 6}" y="${n2(py(t) + 4)}" text-anchor="end">${tickLabel(t)}</text>`);
  }
  const placed = new Map<string, number>();
  for (const p of pts) placed.set(p.label, px(p));
  const turn = mustTurn([...placed.keys()], pw / Math.max(1, placed.size));
  for (const [label, x] of placed) {
    body.push(xLabel(x, M.top + ph + 16, label, turn));
  }
  body.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`);
  body.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${M.top + ph}" y2="${M.top + ph}" stroke="#333"/>`);
  body.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${esc(spec.xLabel)}</text>`);
  body.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  if (spec.reference) {
    const y = n2(py(spec.reference.y));
    body.push(
      `<g class="reference"><line x1="${M.left}" x2="${M.left + pw}" y1="${y}" y2="${y}" stroke="#000" stroke-dasharray="6 4"/><text x="${M.left + pw - 4}" y="${Number(y) - 5}" text-anchor="end" font-size="11">${esc(spec.reference.label)}</text></g>`,
    );
  }
  for (const s of spec.series) {
    const color = colorOf(s.name);
    const sorted = [...s.points].sort((a, b) => px(a) - px(b));
    // Lines join sizes of one implementation; between unrelated cases (category axis) they would suggest a trend that is not there.
    const d = spec.xScale === 'log' ? sorted.map((p, i) => `${i ? 'L' : 'M'}${n2(px(p))} ${n2(py(p.y))}`).join(' ') : '';
    const marks = sorted.map(
      (p) =>
        `<line x1="${n2(px(p))}" x2="${n2(px(p))}" y1="${n2(py(p.lo))}" y2="${n2(py(p.hi))}" stroke="${color}" stroke-width="1.5"/>` +
        `<circle class="point" cx="${n2(px(p))}" cy="${n2(py(p.y))}" r="3.5" fill="${color}"><title>${esc(`${s.name} ${p.label}: ${tickLabel(p.y)} (${tickLabel(p.lo)}–${tickLabel(p.hi)})`)}</title></circle>`,
    );
    const line = d ? `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>` : '';
    body.push(`<g class="series" data-series="${esc(s.name)}">${line}${marks.join('')}</g>`);
  }
  body.push(...legend(spec.series.map((s) => s.name)));
  return frame(spec, 'line-chart', body);
}

/** A grouped bar chart of ratios on a log2 scale, bars drawn from 1 (up: above 1, down: below). */
export function ratioChart(spec: RatioChartSpec): string {
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const values = spec.groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => v > 0 && Number.isFinite(v));
  const lmax = Math.ceil(Math.max(1, ...values.map(Math.log2)));
  const lmin = Math.floor(Math.min(-1, ...values.map(Math.log2)));
  const py = (v: number) => M.top + ((lmax - Math.log2(v)) / (lmax - lmin)) * ph;
  const body: string[] = [];
  const stride = Math.max(1, Math.ceil((lmax - lmin) / 8));
  for (let e = lmin; e <= lmax; e += stride) {
    const v = 2 ** e;
    body.push(`<line x1="${M.left}" x2="${M.left + pw}" y1="${n2(py(v))}" y2="${n2(py(v))}" stroke="${e === 0 ? '#333' : '#e5e5e5'}"/>`);
    body.push(`<text x="${M.left - 6}" y="${n2(py(v) + 4)}" text-anchor="end">${tickLabel(v)}×</text>`);
  }
  const names: string[] = [];
  for (const g of spec.groups) for (const b of g.bars) if (!names.includes(b.name)) names.push(b.name);
  const gw = pw / Math.max(1, spec.groups.length);
  const bw = Math.min(28, (gw * 0.8) / Math.max(1, names.length));
  const turn = mustTurn(
    spec.groups.map((g) => g.label),
    gw,
  );
  spec.groups.forEach((g, gi) => {
    const cx = M.left + gw * (gi + 0.5);
    body.push(xLabel(cx, M.top + ph + 16, g.label, turn));
    for (const b of g.bars) {
      if (!(b.value > 0 && Number.isFinite(b.value))) continue;
      const k = names.indexOf(b.name);
      const x = cx - (names.length * bw) / 2 + k * bw;
      const y0 = py(1);
      const y1 = py(b.value);
      body.push(
        `<rect class="bar" data-series="${esc(b.name)}" x="${n2(x)}" y="${n2(Math.min(y0, y1))}" width="${n2(bw - 2)}" height="${n2(Math.max(1, Math.abs(y1 - y0)))}" fill="${colorOf(b.name)}"><title>${esc(`${g.label} vs ${b.name}: ${tickLabel(b.value)}×`)}</title></rect>`,
      );
    }
  });
  body.push(`<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + ph}" stroke="#333"/>`);
  body.push(`<text transform="translate(16 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  body.push(...legend(names));
  return frame(spec, 'ratio-chart', body);
}
