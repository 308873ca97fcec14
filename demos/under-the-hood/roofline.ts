/**
 * A roofline drawn on a canvas: arithmetic intensity (FLOP per byte of minimum traffic) on x,
 * attained GFLOP/s on y, both logarithmic; the adapter's measured compute ceiling as a horizontal
 * line and its measured bandwidth as the diagonal y = GB/s · x; one dot per kernel. A kernel below
 * the diagonal's part of the roof is memory-bound, below the flat part compute-bound; the distance
 * to the roof is what is left to gain. Kernels that do no floating-point work (a fill) have no
 * place on a log axis and are drawn hollow on the floor.
 */

/** One dot. */
export interface RooflinePoint {
  /** Row number shown next to the dot (1-based, as in the table). */
  id: number;
  /** FLOP per byte; 0 for a kernel without floating-point work. */
  intensity: number;
  gflops: number;
  color: string;
}

/** What to draw. */
export interface RooflineSpec {
  peakGflops: number;
  bandwidthGBs: number;
  points: readonly RooflinePoint[];
  /** The id of a dot to ring. */
  highlight?: number | null;
}

/** What the drawing holds (for tests and hover). */
export interface RooflineDrawn {
  dots: number;
  ceilings: number;
  /** The id of the dot nearest to CSS pixel (x, y), within a few pixels. */
  hit(x: number, y: number): number | null;
}

const PAD = { left: 62, right: 16, top: 14, bottom: 44 };

const decade = (v: number, up: boolean): number => 10 ** (up ? Math.ceil(Math.log10(v)) : Math.floor(Math.log10(v)));

function superscript(e: number): string {
  const map: Record<string, string> = { '-': '⁻', '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹' };
  return String(e).replace(/./g, (c) => map[c] ?? c);
}

function tickLabel(v: number): string {
  const e = Math.round(Math.log10(v));
  if (e >= -2 && e <= 3) return String(Number(v.toPrecision(1)));
  return `10${superscript(e)}`;
}

/** Text in the ceilings' red over a white halo, readable across grid lines and dots. */
function halo(g: CanvasRenderingContext2D, text: string, x: number, y: number): void {
  g.strokeStyle = 'rgba(255, 255, 255, 0.9)';
  g.lineWidth = 3;
  g.strokeText(text, x, y);
  g.fillStyle = '#b42318';
  g.fillText(text, x, y);
}

/** Draws `spec` into `canvas` (its CSS size is kept; the backing store follows devicePixelRatio). */
export function drawRoofline(canvas: HTMLCanvasElement, spec: RooflineSpec): RooflineDrawn {
  const dpr = window.devicePixelRatio || 1;
  const W = canvas.clientWidth || 560;
  const H = canvas.clientHeight || 400;
  canvas.width = Math.round(W * dpr);
  canvas.height = Math.round(H * dpr);
  const g = canvas.getContext('2d');
  if (!g) throw new Error('roofline: no 2-D canvas context');
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, W, H);

  const { peakGflops: peak, bandwidthGBs: bw } = spec;
  const ridge = peak / bw;
  const drawn = spec.points.filter((p) => p.intensity > 0 && p.gflops > 0);
  const xs = [...drawn.map((p) => p.intensity), ridge];
  const ys = [...drawn.map((p) => p.gflops), peak];
  const x0 = decade(Math.min(...xs) / 1.5, false);
  const x1 = decade(Math.max(...xs) * 3, true);
  const y0 = decade(Math.min(...ys) / 1.5, false);
  const y1 = decade(peak * 1.4, true);
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const px = (x: number): number => PAD.left + ((Math.log10(x) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0))) * pw;
  const py = (y: number): number => PAD.top + ph - ((Math.log10(y) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ph;

  // Grid and axes.
  g.font = '11px system-ui, sans-serif';
  g.lineWidth = 1;
  g.strokeStyle = '#eaeef2';
  g.fillStyle = '#5b6573';
  g.textAlign = 'center';
  g.textBaseline = 'top';
  for (let v = x0; v <= x1 * 1.001; v *= 10) {
    g.beginPath();
    g.moveTo(px(v), PAD.top);
    g.lineTo(px(v), PAD.top + ph);
    g.stroke();
    g.fillText(tickLabel(v), px(v), PAD.top + ph + 5);
  }
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (let v = y0; v <= y1 * 1.001; v *= 10) {
    g.beginPath();
    g.moveTo(PAD.left, py(v));
    g.lineTo(PAD.left + pw, py(v));
    g.stroke();
    g.fillText(tickLabel(v), PAD.left - 6, py(v));
  }
  g.strokeStyle = '#8c959f';
  g.strokeRect(PAD.left, PAD.top, pw, ph);
  g.fillStyle = '#1b1f24';
  g.textAlign = 'center';
  g.textBaseline = 'bottom';
  g.fillText('arithmetic intensity, FLOP per byte', PAD.left + pw / 2, H - 4);
  g.save();
  g.translate(14, PAD.top + ph / 2);
  g.rotate(-Math.PI / 2);
  g.textBaseline = 'middle';
  g.fillText('GFLOP/s', 0, 0);
  g.restore();

  // The two ceilings: solid where they form the roof, dashed beyond it.
  g.save();
  g.beginPath();
  g.rect(PAD.left, PAD.top, pw, ph);
  g.clip();
  g.strokeStyle = '#b42318';
  const line = (a: [number, number], b: [number, number], dashed: boolean): void => {
    g.setLineDash(dashed ? [5, 4] : []);
    g.lineWidth = dashed ? 1 : 2;
    g.beginPath();
    g.moveTo(px(a[0]), py(a[1]));
    g.lineTo(px(b[0]), py(b[1]));
    g.stroke();
  };
  line([x0, bw * x0], [ridge, peak], false);
  line([ridge, peak], [x1, bw * x1], true);
  line([ridge, peak], [x1, peak], false);
  line([x0, peak], [ridge, peak], true);
  g.restore();
  g.setLineDash([]);
  g.font = '600 11px system-ui, sans-serif';
  g.textAlign = 'right';
  g.textBaseline = 'top';
  halo(g, `compute ceiling (FMA peak) ${peak.toPrecision(3)} GFLOP/s`, PAD.left + pw - 4, py(peak) + 4);
  // The bandwidth label runs along the diagonal, from near its left end.
  const lx = x0 * 1.25;
  g.save();
  g.translate(px(lx), py(bw * lx) - 4);
  g.rotate(-Math.atan2(py(bw * x0) - py(bw * x1), px(x1) - px(x0)));
  g.textAlign = 'left';
  g.textBaseline = 'bottom';
  halo(g, `bandwidth ceiling (copy) ${bw.toPrecision(3)} GB/s`, 0, 0);
  g.restore();

  // Dots, grouped where they overlap so that their row numbers stay readable.
  const placed: { x: number; y: number; id: number }[] = [];
  const groups: { x: number; y: number; ids: number[] }[] = [];
  for (const p of spec.points) {
    const onFloor = !(p.intensity > 0 && p.gflops > 0);
    const x = onFloor ? PAD.left + 6 : px(p.intensity);
    const y = onFloor ? PAD.top + ph - 6 : py(p.gflops);
    placed.push({ x, y, id: p.id });
    g.beginPath();
    g.arc(x, y, 5, 0, 2 * Math.PI);
    if (onFloor) {
      g.strokeStyle = p.color;
      g.lineWidth = 1.5;
      g.stroke();
    } else {
      g.fillStyle = p.color;
      g.globalAlpha = 0.85;
      g.fill();
      g.globalAlpha = 1;
    }
    const near = groups.find((q) => Math.hypot(q.x - x, q.y - y) < 7);
    if (near) near.ids.push(p.id);
    else groups.push({ x, y, ids: [p.id] });
    if (spec.highlight === p.id) {
      g.beginPath();
      g.arc(x, y, 9, 0, 2 * Math.PI);
      g.strokeStyle = '#1b1f24';
      g.lineWidth = 2;
      g.stroke();
    }
  }
  g.fillStyle = '#1b1f24';
  g.font = '10px system-ui, sans-serif';
  g.textAlign = 'left';
  g.textBaseline = 'middle';
  // Each label takes the first nearby spot that no earlier label covers.
  const taken: { x: number; y: number; w: number }[] = [];
  for (const q of groups) {
    const text = q.ids.length > 4 ? `${q.ids.slice(0, 3).join(',')},…` : q.ids.join(',');
    const w = g.measureText(text).width;
    const spots = [-6, 6, -16, 16, -26].map((dy) => ({ x: q.x + 7, y: q.y + dy }));
    const free = spots.find((p) => taken.every((t) => p.x > t.x + t.w + 2 || t.x > p.x + w + 2 || Math.abs(p.y - t.y) >= 10)) ?? spots[0];
    taken.push({ ...free, w });
    g.fillText(text, free.x, free.y);
  }

  return {
    dots: placed.length,
    ceilings: 2,
    hit(x, y) {
      let best: { id: number; d: number } | null = null;
      for (const p of placed) {
        const d = Math.hypot(p.x - x, p.y - y);
        if (d < 8 && (!best || d < best.d)) best = { id: p.id, d };
      }
      return best?.id ?? null;
    },
  };
}
