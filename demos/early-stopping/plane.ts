/**
 * The weight plane of the 2-D quadratic, drawn on a canvas: contours of J, the eigen-directions
 * through w*, the L2 path w̃(α) (α from ∞ at the origin down to 0 at w*), the GPU's gradient-descent
 * trajectory up to the scrubbed τ, and the two points the page compares: w⁽τ⁾ and w̃(1/(τε)).
 */
import { l2W, type Quadratic, type Vec2 } from './quadratic';
import { hidpiCanvas } from '../shared/canvas';

/** Colours shared with the legend and the filter-factor chart. */
export const COLORS = { early: '#1f6feb', l2: '#e8590c', contour: '#d6dbe1', axis: '#8c959f', star: '#1b1f24' } as const;

/** What one frame shows. */
export interface PlaneFrame {
  /** The GPU trajectory, row t = [w₁, w₂] after t steps. */
  trajectory: Float32Array;
  tau: number;
  /** α = 1/(τε) (∞ at τ = 0). */
  alpha: number;
}

/** A canvas of `size` CSS pixels square with a `draw(frame)` method. */
export function weightPlane(p: Quadratic, size: number): { canvas: HTMLCanvasElement; draw(f: PlaneFrame): void } {
  const { canvas, ctx } = hidpiCanvas(size, size, 'plane', 'demos/early-stopping/plane.ts');
  const dpr = canvas.width / size;
  // A square view holding the origin and w* with a margin (equal scales: the ellipses keep their shape).
  const lo = Math.min(0, p.wStar[0], p.wStar[1]) - 0.35;
  const hi = Math.max(0, p.wStar[0], p.wStar[1]) + 0.35;
  const px = (w: Vec2 | readonly number[]): [number, number] => [((w[0] - lo) / (hi - lo)) * size, size - ((w[1] - lo) / (hi - lo)) * size];

  const path = (points: readonly (readonly number[])[]): void => {
    ctx.beginPath();
    points.forEach((w, k) => {
      const [x, y] = px(w);
      if (k === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    });
  };

  const drawStatic = (): void => {
    ctx.lineWidth = 1;
    // Contours of J: in the eigenbasis, ellipses with semi-axes √(2c/λᵢ) around w*.
    const j0 = 0.5 * (p.lambda[0] * p.zStar[0] ** 2 + p.lambda[1] * p.zStar[1] ** 2);
    ctx.strokeStyle = COLORS.contour;
    for (const f of [0.02, 0.08, 0.2, 0.4, 0.7, 1]) {
      const c = f * j0;
      const pts: Vec2[] = [];
      for (let k = 0; k <= 96; k++) {
        const t = (2 * Math.PI * k) / 96;
        const z0 = p.zStar[0] + Math.sqrt((2 * c) / p.lambda[0]) * Math.cos(t);
        const z1 = p.zStar[1] + Math.sqrt((2 * c) / p.lambda[1]) * Math.sin(t);
        pts.push([z0 * p.q[0][0] + z1 * p.q[1][0], z0 * p.q[0][1] + z1 * p.q[1][1]]);
      }
      path(pts);
      ctx.stroke();
    }
    // The weight axes.
    ctx.strokeStyle = COLORS.axis;
    path([
      [lo, 0],
      [hi, 0],
    ]);
    ctx.stroke();
    path([
      [0, lo],
      [0, hi],
    ]);
    ctx.stroke();
    ctx.fillStyle = COLORS.axis;
    ctx.font = '12px system-ui, sans-serif';
    const [ax, ay] = px([hi - 0.12, 0]);
    ctx.fillText('w₁', ax, ay - 5);
    const [bx, by] = px([0, hi - 0.08]);
    ctx.fillText('w₂', bx + 5, by);
    // The eigen-directions through w*.
    ctx.setLineDash([4, 4]);
    p.q.forEach((q, i) => {
      const r = 3;
      path([
        [p.wStar[0] - r * q[0], p.wStar[1] - r * q[1]],
        [p.wStar[0] + r * q[0], p.wStar[1] + r * q[1]],
      ]);
      ctx.stroke();
      // Labels on the far side of w*, where no path runs (q is flipped to point up-right).
      const sign = q[0] + q[1] >= 0 ? 1 : -1;
      const at = 0.3;
      const [lx, ly] = px([p.wStar[0] + sign * at * q[0], p.wStar[1] + sign * at * q[1]]);
      ctx.fillText(`q${i === 0 ? '₁' : '₂'}: λ = ${p.lambda[i].toFixed(2)}`, lx + 6, ly + (i === 0 ? 14 : 4));
    });
    ctx.setLineDash([]);
    // The L2 path: α from 10⁴ (≈ the origin) down to 10⁻⁴ (≈ w*).
    const l2: Vec2[] = [[0, 0]];
    for (let k = 0; k <= 160; k++) l2.push(l2W(p, 10 ** (4 - (8 * k) / 160)));
    ctx.strokeStyle = COLORS.l2;
    ctx.lineWidth = 2.5;
    path(l2);
    ctx.stroke();
  };

  const dot = (w: readonly number[], r: number, fill: string | null, stroke: string | null, width = 2): void => {
    const [x, y] = px(w);
    ctx.beginPath();
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    if (fill) {
      ctx.fillStyle = fill;
      ctx.fill();
    }
    if (stroke) {
      ctx.strokeStyle = stroke;
      ctx.lineWidth = width;
      ctx.stroke();
    }
  };

  return {
    canvas,
    draw(f) {
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, size, size);
      ctx.fillStyle = 'white';
      ctx.fillRect(0, 0, size, size);
      drawStatic();
      const steps = f.trajectory.length / 2 - 1;
      const row = (t: number): Vec2 => [f.trajectory[2 * t], f.trajectory[2 * t + 1]];
      // The whole trajectory faintly, the part up to τ boldly, with a dot every step.
      ctx.globalAlpha = 0.25;
      ctx.strokeStyle = COLORS.early;
      ctx.lineWidth = 1.5;
      path(Array.from({ length: steps + 1 }, (_, t) => row(t)));
      ctx.stroke();
      ctx.globalAlpha = 1;
      path(Array.from({ length: f.tau + 1 }, (_, t) => row(t)));
      ctx.lineWidth = 2;
      ctx.stroke();
      for (let t = 0; t <= f.tau; t++) dot(row(t), 1.8, COLORS.early, null);
      // w*.
      const [sx, sy] = px(p.wStar);
      ctx.strokeStyle = COLORS.star;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(sx - 6, sy - 6);
      ctx.lineTo(sx + 6, sy + 6);
      ctx.moveTo(sx + 6, sy - 6);
      ctx.lineTo(sx - 6, sy + 6);
      ctx.stroke();
      ctx.fillStyle = COLORS.star;
      ctx.font = '13px system-ui, sans-serif';
      ctx.fillText('w*', sx + 8, sy - 6);
      // The two points compared: w̃(1/(τε)) as a ring around w⁽τ⁾.
      dot(Number.isFinite(f.alpha) ? l2W(p, f.alpha) : [0, 0], 9, null, COLORS.l2, 2.5);
      dot(row(f.tau), 5, COLORS.early, 'white', 1.5);
    },
  };
}
