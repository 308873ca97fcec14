/**
 * The keep/drop mask of one layer as a grid drawn on a canvas, straight from the values read back
 * from the GPU: a row per example of the minibatch, a column per unit. The selected cell is
 * outlined, and so are the cells that share its Philox word (two) and its Philox call (eight).
 */

/** Colours of the grid (also used by the legend). */
export const GRID_COLORS = { kept: '#1f6feb', dropped: '#ffffff', gap: '#d9dee4', selected: '#f08c00', group: '#d99a00' } as const;

/** A cell of the grid. */
export interface Cell {
  row: number;
  unit: number;
}

/** A mask grid on a canvas. */
export interface MaskGrid {
  readonly canvas: HTMLCanvasElement;
  readonly cellSize: number;
  /** Draws `mask` ([rows, units], 1 kept, 0 dropped) with `selected` outlined. */
  draw(mask: Float32Array, selected: Cell | null): void;
  /** The cell under a mouse event, or null outside the grid. */
  cellAt(e: MouseEvent): Cell | null;
  /** The centre of a cell in viewport (client) coordinates. */
  cellCenter(c: Cell): { x: number; y: number };
}

/** A grid of `rows` × `units` cells, each at most `maxWidth / units` CSS pixels (between 4 and 14). */
export function maskGrid(rows: number, units: number, maxWidth: number): MaskGrid {
  const cellSize = Math.max(4, Math.min(14, Math.floor(maxWidth / units)));
  const canvas = document.createElement('canvas');
  canvas.className = 'mask-grid';
  const dpr = window.devicePixelRatio || 1;
  const w = units * cellSize + 1;
  const h = rows * cellSize + 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(h * dpr);
  canvas.style.width = `${w}px`;
  canvas.style.height = `${h}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('maskGrid: the browser gave no 2D canvas context');
  ctx.scale(dpr, dpr);

  const outline = (x0: number, y0: number, cells: number, color: string, width: number, dash: number[] = []): void => {
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.setLineDash(dash);
    ctx.strokeRect(x0 * cellSize + 0.5, y0 * cellSize + 0.5, cells * cellSize, cellSize);
    ctx.setLineDash([]);
  };

  return {
    canvas,
    cellSize,
    draw(mask, selected) {
      if (mask.length !== rows * units) throw new Error(`maskGrid: a mask of ${mask.length} values for a ${rows} × ${units} grid`);
      ctx.fillStyle = GRID_COLORS.gap;
      ctx.fillRect(0, 0, w, h);
      for (let r = 0; r < rows; r++) {
        for (let u = 0; u < units; u++) {
          ctx.fillStyle = mask[r * units + u] !== 0 ? GRID_COLORS.kept : GRID_COLORS.dropped;
          ctx.fillRect(u * cellSize + 1, r * cellSize + 1, cellSize - 1, cellSize - 1);
        }
      }
      if (!selected) return;
      // The eight elements of one Philox call, and the two halves of one word (index 8q … 8q+7 and
      // 2k, 2k+1 of the flat row-major index; they stay in one row when units is a multiple of 8).
      const i = selected.row * units + selected.unit;
      for (const [size, color, width, dash] of [
        [8, GRID_COLORS.group, 2, [3, 2]],
        [2, GRID_COLORS.selected, 1.5, []],
      ] as const) {
        const first = i - (i % size);
        for (let j = first; j < first + size; j++) {
          const startsRun = j === first || j % units === 0;
          if (!startsRun) continue;
          const run = Math.min(first + size, (Math.floor(j / units) + 1) * units) - j;
          outline(j % units, Math.floor(j / units), run, color, width, [...dash]);
        }
      }
      outline(selected.unit, selected.row, 1, GRID_COLORS.selected, 3);
    },
    cellAt(e) {
      const rect = canvas.getBoundingClientRect();
      const unit = Math.floor((e.clientX - rect.left) / cellSize);
      const row = Math.floor((e.clientY - rect.top) / cellSize);
      return row >= 0 && row < rows && unit >= 0 && unit < units ? { row, unit } : null;
    },
    cellCenter(c) {
      const rect = canvas.getBoundingClientRect();
      return { x: rect.left + (c.unit + 0.5) * cellSize, y: rect.top + (c.row + 0.5) * cellSize };
    },
  };
}
