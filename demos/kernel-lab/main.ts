/**
 * The kernel lab: a WGSL compute kernel in an editor, run on the visitor's GPU against its CPU
 * reference and timed beside the engine's kernel of the same op, placed on the roofline with the
 * previous runs. Kernels are the lab's specs (bench/lab/spec.ts), the same objects the
 * `npm run lab` CLI runs; the presets are the engine's kernels and two teaching sequences. The
 * state (preset, params, edited source deflated) lives in the URL hash, so a link reproduces it.
 *
 * Test hook (`window.__demo`, declared in hook.ts): ready; presets; runs, busy, last (the last run's
 * verdict, times, roofline dots and mask statistics); marked; source(); cursorAt(line).
 */
import { PRESETS } from '../../bench/lab/presets/index';
import { specSource } from '../../bench/lab/runner';
import type { KernelSpec, LabParams } from '../../bench/lab/spec';
import { mountPage } from '../shared/page';
import { buildControls, startParams } from './controls';
import { lineDiff, renderDiff } from './diff';
import { decidingLines, renderMask, type MaskStats } from './dropout-view';
import { kernelEditor } from './editor';
import { meta } from './meta';
import { SOURCES } from './sources';
import { LabRunner, type Ceilings } from './run';
import { DEFAULT_BUDGET_MS, readUrlState, writeUrlState } from './url-state';
import { RunHistory } from './history';
import { el } from '../shared/dom';
import { type LabHook, lastRun } from './hook';
import { buildLayout, renderResult, type HistoryEntry } from './views';
import './page.css';
const DECIDES = 'This line decides keep or drop: the threshold comparison, or the Philox rounds that make the random words.';

void mountPage<LabHook>(meta, SOURCES, async (ctx) => {
  const runner = new LabRunner(ctx.rt);
  const software = ctx.rt.info.isFallbackAdapter;
  const url = readUrlState(location.hash);
  let spec: KernelSpec = PRESETS.find((s) => s.name === url.preset) ?? PRESETS[0];
  const quick = !!url.quick;
  let params: LabParams = { ...startParams(spec, software, quick), ...(url.params ?? {}) };
  const history = new RunHistory();
  let ceilings: Ceilings | null = null;
  const { hook, expose } = ctx;

  const controls = buildControls(ctx.root, PRESETS, url.budgetMs ?? DEFAULT_BUDGET_MS);
  const { about, left, diffBox, result, canvas, maskBox, historyBox } = buildLayout(ctx.root);

  const presetText = (): string => specSource(spec).source;
  const save = (): void => {
    const text = editor.text();
    writeUrlState({ preset: spec.name, params, source: text === presetText() ? null : text, budgetMs: Number(controls.budget.value) * 1000, quick });
  };
  const refreshDiff = (): number => renderDiff(diffBox, lineDiff(presetText(), editor.text()));
  const mark = (): void => {
    const marked = spec.op === 'dropout' ? decidingLines(editor.text()) : [];
    expose({ marked });
    editor.markLines(marked, DECIDES);
  };
  const onEdit = (): void => {
    save();
    mark();
    if (!diffBox.hidden) refreshDiff();
  };
  const editor = kernelEditor(left, url.source ?? presetText(), onEdit);
  left.prepend(editor.view.dom);

  const showPreset = (): void => {
    controls.preset.value = spec.name;
    about.textContent = spec.about ?? '';
    controls.showParams(spec, params, (p) => {
      params = p;
      save();
    });
    mark();
  };
  controls.preset.addEventListener('change', () => {
    spec = PRESETS.find((s) => s.name === controls.preset.value) ?? spec;
    params = startParams(spec, software, quick);
    editor.setText(presetText());
    editor.showMessages([]);
    diffBox.hidden = true;
    showPreset();
    save();
  });
  controls.reset.addEventListener('click', () => editor.setText(presetText()));
  controls.diff.addEventListener('click', () => {
    diffBox.hidden = !diffBox.hidden;
    if (!diffBox.hidden) refreshDiff();
  });
  controls.budget.addEventListener('change', save);

  const run = async (): Promise<void> => {
    controls.run.disabled = true;
    expose({ busy: true });
    result.replaceChildren(el('p', 'muted', 'running…'));
    try {
      const source = { ...specSource(spec), source: editor.text() };
      const budgetMs = Math.max(100, Number(controls.budget.value) * 1000 || DEFAULT_BUDGET_MS);
      ceilings ??= await runner.ceilings(quick);
      const r = await runner.run(spec, params, source, { quick, budgetMs, log: (s) => result.replaceChildren(el('p', 'muted', `${s}…`)) });
      if (r.stopped) ceilings = null;
      editor.showMessages(r.compileErrors ?? []);
      history.add({ n: history.next, preset: spec.name, changed: refreshDiff(), source: editor.text(), params, result: r });
      renderResult(result, r, ceilings);
      const dots = history.render(historyBox, canvas, ceilings, load);
      let mask: MaskStats | null = null;
      maskBox.replaceChildren();
      if (r.got?.mask && 'keep' in params) mask = renderMask(maskBox, r.got.mask, params.keep);
      expose({ runs: (hook.runs ?? 0) + 1, last: lastRun(spec.name, r, dots, mask) });
    } catch (e) {
      ctx.fail(e);
    } finally {
      controls.run.disabled = false;
      expose({ busy: false });
    }
  };
  controls.run.addEventListener('click', () => void run());
  const load = (e: HistoryEntry): void => {
    spec = PRESETS.find((s) => s.name === e.preset) ?? spec;
    params = e.params;
    editor.setText(e.source);
    showPreset();
  };
  history.render(historyBox, canvas, null, load);

  showPreset();
  if (url.source) diffBox.hidden = refreshDiff() === 0;
  expose({
    presets: PRESETS.map((s) => s.name),
    runs: 0,
    source: () => editor.text(),
    // For tests that type at a line the editor has not drawn (it draws only what is scrolled into view).
    cursorAt: (line) => {
      editor.view.dispatch({ selection: { anchor: editor.view.state.doc.line(line).to }, scrollIntoView: true });
      editor.view.focus();
    },
  });
  hook.ready = true;
});
