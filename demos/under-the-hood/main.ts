/**
 * "Under the hood": one training step of an MLP with dropout and L2, taken apart on the visitor's
 * GPU. The runtime's profiler (engine/runtime/profile.ts) gives every dispatch of the step its own
 * timed pass; each kernel is then replayed alone, placed on a roofline against the adapter's FMA
 * and copy ceilings measured here, and the fused kernels are set against their unfused twins.
 *
 * The hash `#clock=wall` forces the fallback a browser without `timestamp-query` gets: per-kernel
 * wall-clock times, measured by syncing around submits of a single dispatch.
 */
import type { Runtime } from 'webgpu-regularization';
import { hashState } from '../shared/hash';
import { mountPage, type DemoHook, type PageContext } from '../shared/page';
import type { SourceText } from '../shared/source';
import { FAMILY_COLOR } from './costs';
import type { Clock } from './clock';
import { timeBatch } from './clock';
import { compareFusion, countWork, measureCeilings, profileStep, replayUs, type Ceilings, type Comparison, type KernelRow } from './measure';
import { drawRoofline, type RooflineDrawn } from './roofline';
import { buildStep, stepConfig, type MlpStep } from './step';
import { comparisonTable, el, kernelTable, rates, rowUs, sig, timeline } from './views';
import { meta } from './meta';
import './page.css';
import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import dropoutWgsl from '../../shaders/dropout.wgsl?raw';
import xentWgsl from '../../shaders/softmax_xent.wgsl?raw';
import chainWgsl from '../../shaders/update_chain.wgsl?raw';
import elementwiseWgsl from '../../shaders/elementwise.wgsl?raw';
import unaryWgsl from '../../shaders/unary.wgsl?raw';
import reduceWgsl from '../../shaders/reduce_axes.wgsl?raw';
import fmaWgsl from '../../shaders/fma_peak.wgsl?raw';
import bandwidthWgsl from '../../shaders/bandwidth.wgsl?raw';
import mainTs from './main.ts?raw';
import measureTs from './measure.ts?raw';
import stepTs from './step.ts?raw';
import costsTs from './costs.ts?raw';
import profileTs from '../../engine/runtime/profile.ts?raw';

const TEXTS = [
  matmulWgsl,
  dropoutWgsl,
  xentWgsl,
  chainWgsl,
  elementwiseWgsl,
  unaryWgsl,
  reduceWgsl,
  fmaWgsl,
  bandwidthWgsl,
  mainTs,
  measureTs,
  stepTs,
  costsTs,
  profileTs,
];
const SOURCES: SourceText[] = meta.sources.map((path, i) => ({ path, text: TEXTS[i] }));

/** The lines of `entry`'s function in a WGSL text (its `@compute` line to its closing brace). */
function entryLines(text: string, entry: string): Set<number> {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => new RegExp(`^fn ${entry}\\b`).test(l));
  if (at < 0) return new Set();
  const start = at > 0 && lines[at - 1].startsWith('@compute') ? at - 1 : at;
  let end = at;
  while (end < lines.length - 1 && lines[end] !== '}') end++;
  return new Set(Array.from({ length: end - start + 1 }, (_, i) => start + i + 1));
}

/** The page's DOM, built once. */
function layout(root: HTMLElement): Record<'progress' | 'summary' | 'timeline' | 'table' | 'roofNotes' | 'fusion' | 'clockNote', HTMLElement> & {
  again: HTMLButtonElement;
  canvas: HTMLCanvasElement;
} {
  root.classList.add('uth');
  const intro = el('p', 'intro');
  intro.innerHTML =
    'One SGD step of an MLP with inverted dropout on both hidden layers and L2 on the weights, exactly as the engine’s training loop records it: every dispatch into one command encoder, one submit per step. Below, each of its kernels is timed on the GPU, placed against what this adapter can do at best, and the fused kernels are set against their unfused twins. For the same suites side by side with tfjs-webgpu and jax-js, see the <a href="../bench/">benchmark page</a>.';
  const controls = el('div', 'controls');
  const again = el('button', undefined, 'Measure again');
  again.disabled = true;
  const progress = el('span', 'progress', 'starting…');
  controls.append(again, progress);
  const stepPanel = el('section', 'panel');
  const summary = el('dl', 'summary');
  const tl = el('div');
  const clockNote = el('p', 'note clock-note');
  stepPanel.append(el('h2', undefined, 'One training step'), summary, tl, clockNote);
  const tablePanel = el('section', 'panel');
  const table = el('div');
  tablePanel.append(
    el('h2', undefined, 'Kernel by kernel'),
    el(
      'p',
      'note',
      '“in step”: the dispatch in its own pass inside a real step, averaged over a few steps. “alone”: the same dispatch replayed by itself many times and divided, which the rates use: a per-pass timestamp can also catch the tail of the previous pass. Traffic is the minimum (each input read once, each output written once). Click a kernel to read its WGSL.',
    ),
    table,
  );
  const roofRow = el('div', 'roof-row');
  const roofPanel = el('section', 'panel');
  const canvas = el('canvas', 'roofline');
  roofPanel.append(el('h2', undefined, 'Roofline'), canvas);
  const notesPanel = el('section', 'panel roof-notes');
  const roofNotes = el('div');
  notesPanel.append(el('h2', undefined, 'Reading it'), roofNotes);
  roofRow.append(roofPanel, notesPanel);
  const fusionPanel = el('section', 'panel');
  const fusion = el('div');
  fusionPanel.append(
    el('h2', undefined, 'Fused against unfused'),
    el(
      'p',
      'note',
      'Each pair does the same arithmetic. Dispatches come from the runtime’s own counters (workStats), times from the same clock as the kernels; each side is recorded many times into one batch and submitted once, the two sides sampled in turn from the same weights.',
    ),
    fusion,
    el(
      'p',
      'note',
      'Fusion saves twice: a dispatch not made (its launch, and the barrier after it), and a pass over memory not made (the stored mask, the α·w temporary, the re-read of the arena). On a software adapter a matmul takes milliseconds and a launch tens of microseconds, so the whole step gains little; on a GPU, where this step’s kernels take microseconds each, launches and extra passes over memory weigh far more: open this page there to see by how much.',
    ),
  );
  root.append(intro, controls, stepPanel, tablePanel, roofRow, fusionPanel);
  return { progress, summary, timeline: tl, table, roofNotes, fusion, clockNote, again, canvas };
}

function summaryItems(parent: HTMLElement, items: [string, string, string?][]): void {
  parent.replaceChildren();
  for (const [k, v, id] of items) {
    const d = el('div');
    const dd = el('dd', undefined, v);
    if (id) dd.id = id;
    d.append(el('dt', undefined, k), dd);
    parent.append(d);
  }
}

function roofNotes(parent: HTMLElement, c: Ceilings, rows: readonly KernelRow[], clock: Clock): void {
  const ridge = c.peakGflops / c.bandwidthGBs;
  const memBound = rows.filter((r) => r.flops > 0 && r.flops / r.bytes < ridge).length;
  const worst = [...rows].filter((r) => r.flops > 0).sort((a, b) => (rates(a, c).gflops ?? Infinity) - (rates(b, c).gflops ?? Infinity))[0];
  const best = [...rows].filter((r) => r.flops > 0).sort((a, b) => (rates(b, c).roof ?? 0) - (rates(a, c).roof ?? 0))[0];
  parent.innerHTML = `
    <p class="ceil"><span class="swatch" style="background:${FAMILY_COLOR.ceiling}"></span>FMA peak <b>${sig(c.peakGflops)} GFLOP/s</b> (shaders/fma_peak.wgsl) · copy <b>${sig(c.bandwidthGBs)} GB/s</b> (shaders/bandwidth.wgsl), measured here, now, on the ${clock === 'timestamp' ? 'GPU timestamps' : 'wall clock'}.</p>
    <p>The roof bends at <b>${sig(ridge)} FLOP/byte</b>. Left of it a kernel cannot beat the diagonal however good its arithmetic: it waits on memory (${memBound} of the step’s kernels with floating-point work sit there). Right of it the flat line rules, and only more arithmetic per cycle helps: register blocking, vec4 loads.</p>
    <p>The matmuls have the highest intensity (each input element feeds many FMAs), and they also carry dropout and the ReLU derivative in their epilogues (the rows marked dropout mask and gate), so neither costs a pass over memory; the gradient accumulation and the update stream memory and can at best reach the diagonal. ${best ? `Closest to its roof: #${best.n} ${best.dispatch.entry}, at ${Math.round((rates(best, c).roof ?? 0) * 100)}%.` : ''}${best && (rates(best, c).roof ?? 0) > 1 ? ' Above 100%: in this run it streamed faster than the best copy did. A ceiling is the best this page saw, not a law: on a software adapter bandwidth depends on the working set and on what else the CPUs are doing.' : ''}</p>
    ${worst ? `<p>Lowest of all: #${worst.n} ${worst.dispatch.entry} (${worst.label}), ${sig(rowUs(worst))} µs for almost no work. Its time is the price of a dispatch, not of its arithmetic; that price is what fusing kernels removes.</p>` : ''}
    <p class="note">Hover a dot to find its row. Hollow dots on the floor do no floating-point work. On a software adapter “GB/s” is the CPU’s memory system seen through the Vulkan driver: compare kernels with each other and with the ceilings, not with a GPU’s datasheet.</p>`;
}

async function run(ctx: PageContext, rt: Runtime, s: MlpStep, clock: Clock, ui: ReturnType<typeof layout>, hook: DemoHook): Promise<void> {
  const soft = rt.info.isFallbackAdapter;
  const cfg = s.config;
  // How long each phase took (ms), for whoever tunes the page's own cost (tests, a slow adapter).
  const phaseMs: Record<string, number> = {};
  let t0 = performance.now();
  let phase = 'start';
  const say = (t: string, next: string): void => {
    const now = performance.now();
    phaseMs[phase] = (phaseMs[phase] ?? 0) + now - t0;
    t0 = now;
    phase = next;
    ui.progress.textContent = t;
  };
  hook.phaseMs = phaseMs;
  s.reset();
  say('warming up (compiling the step’s pipelines)…', 'warm-up');
  for (let i = 0; i < 2; i++) {
    s.step();
    await rt.sync();
  }
  const work = await countWork(rt, s.step, 2);
  say('timing the whole step…', 'step');
  const stepUs = (await timeBatch(rt, s.step, clock)) / 1e3;
  say(`profiling ${clock === 'timestamp' ? 'several steps, one timed pass per dispatch' : 'one step'}…`, 'profile');
  const { rows, profile } = await profileStep(rt, s, clock, soft ? 3 : 10);
  summaryItems(ui.summary, [
    ['model', `${cfg.layers.join('-')}, batch ${cfg.batch}`],
    ['keep · L2 α · lr', `${cfg.keep} · ${cfg.l2} · ${cfg.lr}`],
    ['dispatches per step', String(work.dispatches), 'dispatches-per-step'],
    ['submits per step', String(work.submits), 'submits-per-step'],
    ['step time', `${sig(stepUs / 1e3)} ms`],
    ['kernels, summed', clock === 'timestamp' ? `${sig(rows.reduce((a, r) => a + (r.inStepUs ?? 0), 0) / 1e3)} ms` : '–'],
  ]);
  ui.clockNote.textContent =
    clock === 'timestamp'
      ? `Clock: GPU timestamp queries (this adapter has 'timestamp-query'). Step time: ${sig(stepUs / 1e3)} ms from two timestamps around many steps recorded back to back. The profiler split the step into ${profile.dispatches.length} passes and counted ${profile.submits} submit(s), as unprofiled.`
      : `Clock: wall clock. ${rt.device.features.has('timestamp-query') ? 'Forced by #clock=wall.' : 'This adapter does not expose \u2018timestamp-query\u2019.'} Per-kernel times are measured by syncing around submits that each hold copies of one dispatch (performance.now() to onSubmittedWorkDone, divided by the copies), so they include the submit and synchronization overhead; the step time is the wall clock around many steps.`;
  const select = { n: null as number | null };
  let drawn: RooflineDrawn | null = null;
  let ceilings: Ceilings | null = null;
  const redraw = (): void => {
    refresh(ceilings, select.n);
    if (ceilings) {
      const points = rows.map((r) => {
        const q = rates(r, ceilings);
        return { id: r.n, intensity: q.ai, gflops: q.gflops ?? 0, color: FAMILY_COLOR[r.family] };
      });
      drawn = drawRoofline(ui.canvas, { peakGflops: ceilings.peakGflops, bandwidthGBs: ceilings.bandwidthGBs, points, highlight: select.n });
      hook.roofline = { dots: drawn.dots, ceilings: drawn.ceilings, peakGflops: ceilings.peakGflops, bandwidthGBs: ceilings.bandwidthGBs };
    }
    timeline(ui.timeline, rows, (r) => (clock === 'timestamp' ? r.inStepUs : rowUs(r)));
  };
  ui.table.replaceChildren();
  const refresh = kernelTable(ui.table, rows, {
    onSource: (r) => void ctx.showSource(r.dispatch.file, entryLines(SOURCES.find((f) => f.path === r.dispatch.file)?.text ?? '', r.dispatch.entry)),
    onSelect: (n) => {
      select.n = n;
      redraw();
    },
  });
  ui.canvas.onmousemove = (ev) => {
    const rect = ui.canvas.getBoundingClientRect();
    const n = drawn?.hit(ev.clientX - rect.left, ev.clientY - rect.top) ?? null;
    const r = rows.find((x) => x.n === n);
    ui.canvas.title = r ? `#${r.n} ${r.dispatch.file} · ${r.dispatch.entry}\n${r.label}` : '';
    if (n !== select.n) {
      select.n = n;
      redraw();
    }
  };
  redraw();
  try {
    say('measuring the ceilings (FMA peak, copy)…', 'ceilings');
    ceilings = await measureCeilings(rt, clock);
    roofNotes(ui.roofNotes, ceilings, rows, clock);
    for (const r of rows) {
      say(`replaying kernel ${r.n} of ${rows.length} alone…`, 'replays');
      r.aloneUs = await replayUs(profile, r.n - 1, clock);
      redraw();
    }
  } finally {
    profile.dispose();
  }
  roofNotes(ui.roofNotes, ceilings, rows, clock);
  ui.fusion.replaceChildren();
  const addRow = comparisonTable(ui.fusion);
  const comparisons: Comparison[] = await compareFusion(rt, s, clock, (c) => {
    say(`fused against unfused: ${c.what} done`, 'fusion');
    addRow(c);
  });
  Object.assign(hook, {
    clock,
    config: cfg,
    work: {
      dispatchesPerStep: work.dispatches,
      submitsPerStep: work.submits,
      profiledDispatches: profile.dispatches.length,
      profiledSubmits: profile.submits,
      unfusedDispatchesPerStep: comparisons[0].unfused.dispatches,
    },
    stepMs: stepUs / 1e3,
    profile: rows.map((r) => {
      const q = rates(r, ceilings);
      return {
        n: r.n,
        phase: r.phase,
        file: r.dispatch.file,
        entry: r.dispatch.entry,
        overrides: r.dispatch.overrides,
        grid: r.dispatch.grid,
        family: r.family,
        label: r.label,
        inStepUs: r.inStepUs,
        aloneUs: r.aloneUs,
        gflops: q.gflops,
        gbs: q.gbs,
        intensity: q.ai,
      };
    }),
    comparisons,
  });
  say(`done: ${rows.length} kernels, ${comparisons.length} comparisons, on the ${clock === 'timestamp' ? 'GPU timestamps' : 'wall clock'}.`, 'done');
}

void mountPage(meta, SOURCES, async (ctx) => {
  const { rt, root, hook, fail } = ctx;
  const state = hashState({ clock: 'auto' });
  const has = rt.device.features.has('timestamp-query');
  const clock: Clock = state.value.clock === 'wall' || !has ? 'wall' : 'timestamp';
  const ui = layout(root);
  const s = buildStep(rt, stepConfig(rt));
  /** Dispatches and submits of `steps` more steps, per step, from the runtime's counters (for tests). */
  hook.countWork = (steps = 1) => countWork(rt, s.step, steps);
  const measure = async (): Promise<void> => {
    ui.again.disabled = true;
    hook.done = false;
    try {
      await run(ctx, rt, s, clock, ui, hook);
      hook.done = true;
    } catch (e) {
      fail(e);
    } finally {
      ui.again.disabled = false;
    }
  };
  hook.measure = measure;
  ui.again.addEventListener('click', () => void measure());
  await measure();
  hook.ready = !hook.error;
});
