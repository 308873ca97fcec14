/**
 * The lab page's controls: the preset list, one number field per param of the spec (those that
 * set an `override` constant are labelled so), the time budget, and the Run, Reset and Diff
 * buttons. On a software adapter the sizes start small, so that a run takes seconds.
 */
import type { KernelSpec, LabParams } from '../../bench/lab/spec';
import { el } from '../shared/dom';

/** Size params and the most a software adapter starts with. */
const SOFTWARE_CAPS: Record<string, number> = { m: 128, n: 128, k: 128 };
const SOFTWARE_ELEMENTS = 1 << 14;

/**
 * The params a page starts a preset with: the spec's, smaller on a software adapter, and smaller
 * again in quick mode (the tests: a matmul of 64³, 4,096 elements).
 */
export function startParams(spec: KernelSpec, software: boolean, quick = false): LabParams {
  const p = { ...spec.params };
  if (!software && !quick) return p;
  const shrink = quick ? 2 : 1;
  const matmul = 'm' in p && 'k' in p;
  for (const k of Object.keys(p)) {
    const cap = matmul ? SOFTWARE_CAPS[k] : k === 'n' ? SOFTWARE_ELEMENTS / shrink : undefined;
    if (cap !== undefined) p[k] = Math.min(p[k], cap / shrink);
  }
  return p;
}

/** The params whose value feeds an override constant (found by changing each and watching the overrides). */
export function overrideParams(spec: KernelSpec, p: LabParams): Set<string> {
  const out = new Set<string>();
  if (!spec.overrides) return out;
  const base = JSON.stringify(spec.overrides(p));
  for (const k of Object.keys(p)) if (JSON.stringify(spec.overrides({ ...p, [k]: p[k] + 1 })) !== base) out.add(k);
  return out;
}

/** The controls' elements. */
export interface Controls {
  preset: HTMLSelectElement;
  params: HTMLElement;
  budget: HTMLInputElement;
  run: HTMLButtonElement;
  reset: HTMLButtonElement;
  diff: HTMLButtonElement;
  /** Rebuilds the param fields for `spec` with values `p`; `onChange` gets the new params. */
  showParams(spec: KernelSpec, p: LabParams, onChange: (p: LabParams) => void): void;
}

/** Builds the controls into `parent`. */
export function buildControls(parent: HTMLElement, presets: readonly KernelSpec[], budgetMs: number): Controls {
  const preset = el('select', 'preset');
  for (const s of presets) preset.append(Object.assign(el('option', undefined, s.name), { value: s.name }));
  const params = el('span', 'params');
  const budget = Object.assign(el('input'), { type: 'number', min: '0.5', step: '0.5', value: String(budgetMs / 1000), className: 'budget' });
  const run = el('button', 'run', '▶ Run');
  const reset = el('button', 'reset', 'Reset to preset');
  const diff = el('button', 'show-diff', 'Diff against preset');
  const budgetLabel = el('label', undefined, 'time budget, s ');
  budgetLabel.append(budget);
  const row1 = el('div', 'controls');
  row1.append(el('label', undefined, 'preset '), preset, run, reset, diff, budgetLabel);
  const row2 = el('div', 'controls');
  row2.append(params);
  parent.append(row1, row2);
  return {
    preset,
    params,
    budget,
    run,
    reset,
    diff,
    showParams(spec, p, onChange) {
      params.replaceChildren();
      const overrides = overrideParams(spec, p);
      let current = { ...p };
      for (const [k, v] of Object.entries(p)) {
        const input = Object.assign(el('input'), { type: 'number', value: String(v), step: 'any' });
        input.dataset.param = k;
        input.addEventListener('change', () => {
          const x = Number(input.value);
          if (!Number.isFinite(x)) return;
          current = { ...current, [k]: x };
          onChange(current);
        });
        const label = el('label', 'param', `${k}${overrides.has(k) ? ' (override)' : ''} `);
        label.append(input);
        params.append(label);
      }
    },
  };
}
