/**
 * Batch norm: two MLPs with the same initial weights train side by side on the same minibatches,
 * one with batch normalization before each hidden ReLU; the page draws a few hidden units'
 * pre-activations (what enters the ReLU) at the current step and their mean and spread over
 * training. A toggle evaluates the batch-norm network with the batch's statistics (training mode)
 * or the stored running ones (inference mode) and shows which numbers were used; a batch-size
 * slider shows how much batch statistics scatter from batch to batch (the noise that regularizes)
 * and, on demand, the train/held-out gap of a short training at that batch size.
 *
 * Test hook (`window.__demo`): ready; stepCount; activationsStep; lastStep (both networks' loss and
 * accuracy); cells (what each histogram shows); mode, inference (the InferenceReport shown),
 * inferenceVersion; batchSize, spread (at the slider's size), spreadVersion; shortRuns, shortRunning;
 * step(), idle() (resolves when no step or refresh is running), setMode(mode), setBatchSize(b), runShort().
 */
import { GpuDataset, type Metrics } from 'webgpu-regularization';
import { trainControls } from '../shared/controls';
import { loadDigits } from '../shared/digits';
import { hashState } from '../shared/hash';
import { mountPage } from '../shared/page';
import { captureOutputs, evalContext, evaluateIn, type StatsMode } from './forward';
import { COLORS, drawValues, histCanvas, histogramGrid, type CellSummary } from './histograms';
import { inferenceReport, type AccuracyCache } from './inference';
import { inferenceView } from './inference-view';
import { lines } from './lines';
import { meta } from './meta';
import { BN_EPS } from './models';
import { shortRun, type ShortRunResult } from './short-run';
import { SOURCES } from './sources';
import { batchSpread, columnStats, type BatchSpread } from './stats';
import { KINDS, PairTrainer, type PairStep } from './trainer';
import './page.css';

/** Batch sizes the slider offers (powers of two: they divide the 1,024 digits of each set). */
const BATCHES = [2, 4, 8, 16, 32, 64, 128, 256];
/** Units of each hidden layer shown. */
const SHOWN = [0, 1, 2, 3];
/** The inference panel's accuracies (the slow part) and, while playing, the other panels refresh every this many steps. */
const EVAL_EVERY = 25;
/** Held-out accuracy of both networks is measured every this many steps. */
const HELD_OUT_EVERY = 5;
/** Random batches drawn per batch size to measure the spread of the batch statistics. */
const DRAWS = 200;
/** Digits whose outputs the inference panel lists. */
const SHOWN_DIGITS = 8;
const UNIT_SHADES = { plain: ['#d9480f', '#f08c00', '#c2255c', '#a61e4d'], bn: ['#1f6feb', '#0c8599', '#5f3dc4', '#2b8a3e'] } as const;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, html?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (html !== undefined) e.innerHTML = html;
  return e;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

void mountPage(meta, SOURCES, async ({ rt, root, hook, fail }) => {
  // Software adapters (SwiftShader in headless Chromium) get 1,024 training digits; a real GPU 4,096.
  const forced = new URLSearchParams(location.search).get('sizes');
  const small = forced === 'large' ? false : forced === 'small' ? true : rt.info.isFallbackAdapter;
  const hidden = [64, 64];
  const trainBatch = 32;
  const lr = 0.05;
  const shortEpochs = small ? 4 : 10;
  const state = hashState({ seed: 1, layer: 2, batch: 32, mode: 'running' });
  const seed = Number.isInteger(state.value.seed) && state.value.seed >= 0 ? state.value.seed : 1;
  const layer0 = state.value.layer === 1 ? 1 : 2;
  const batch0 = BATCHES.includes(state.value.batch) ? state.value.batch : 32;
  const mode0: StatsMode = state.value.mode === 'batch' ? 'batch' : 'running';
  state.set({ seed, layer: layer0, batch: batch0, mode: mode0 });

  const loading = el('p', 'note', 'Loading the MNIST digits…');
  root.append(loading);
  const split = await loadDigits({ train: small ? 1024 : 4096, val: 1024, test: 0, seed: 1 });
  const train = GpuDataset.upload(rt, split.train.images, split.train.labels, 10);
  const val = GpuDataset.upload(rt, split.val.images, split.val.labels, 10);
  // The probe batch of the histograms: the first 512 training digits, one batch.
  const probeOrder = train.identityOrder();
  const probe = train.batch(probeOrder, GpuDataset.windows(train.count, 512)[0]);
  probeOrder.dispose();
  loading.remove();

  const trainer = PairTrainer.create(rt, train, { hidden, batch: trainBatch, seed, lr });

  // Every GPU job of the page runs one after another.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job);
    queue = run.catch(() => undefined);
    return run;
  };

  // ---- Layout ----
  const bar = el('div', 'panel topbar');
  const stepText = el('span', 'step-text');
  const layerPick = el('span', 'layer-pick', 'hidden layer');
  const layerButtons = hidden.map((_, i) => {
    const b = el('button', undefined, String(i + 1));
    b.dataset.layer = String(i + 1);
    layerPick.append(b);
    return b;
  });
  const sizesNote = el(
    'span',
    'note',
    `784-${hidden.join('-')}-10 · ${train.count.toLocaleString('en-US')} training digits · batch ${trainBatch} · momentum SGD, lr ${lr}`,
  );

  // Panel 1: the histograms and their moments over training.
  const histPanel = el('div', 'panel');
  const histTitle = el('h2');
  const histNote = el(
    'p',
    'note',
    `What enters the ReLU of ${SHOWN.length} units, for a fixed batch of 512 training digits, after the steps trained so far. <b>Without batch norm</b> it is the Linear layer's output, whose center and width drift as the weights below it change (the next layer must keep re-adapting: Ioffe & Szegedy's "internal covariate shift"). <b>With batch norm</b> each unit is first standardized over the batch, then scaled by a learned γ and shifted by a learned β: its mean and std are exactly β and γ, which move only as fast as they are trained. The dashed line is 0, where the ReLU cuts.`,
  );
  const grid = histogramGrid(
    [
      { title: 'without batch norm', color: COLORS.plain },
      { title: 'with batch norm', color: COLORS.bn },
    ],
    SHOWN.length,
  );
  const momentRow = el('div', 'row');
  const momentSeries = () =>
    KINDS.flatMap((k) =>
      SHOWN.map((u, i) => ({ label: `${k === 'bn' ? 'BN' : 'plain'} u${u}`, color: UNIT_SHADES[k][i], dash: k === 'plain' ? [6, 4] : undefined })),
    );
  const meanChart = lines(momentRow, 'Mean of each unit’s pre-activation', momentSeries(), { width: 520, height: 230, xLabel: 'step' });
  const stdChart = lines(momentRow, 'Std of each unit’s pre-activation', momentSeries(), { width: 520, height: 230, xLabel: 'step' });
  const momentNote = el(
    'p',
    'note',
    `The same probe batch after every step: <b style="color:${COLORS.plain}">dashed, warm colors</b>: without batch norm; <b style="color:${COLORS.bn}">solid, cool colors</b>: with batch norm (there the mean is β and the std γ of each unit, which start at 0 and 1).`,
  );
  histPanel.append(histTitle, histNote, grid.element, momentNote, momentRow);

  // Panel 2: training mode vs inference mode.
  const infView = inferenceView(split.val.images);
  // Panel 3: training curves.
  const curvePanel = el('div', 'panel curves-panel');
  const lossChart = lines(
    curvePanel,
    'Minibatch loss (training mode)',
    KINDS.map((k) => ({ label: k === 'bn' ? 'with BN' : 'without', color: COLORS[k] })),
    { width: 400, height: 200, xLabel: 'step' },
  );
  const accChart = lines(
    curvePanel,
    'Held-out accuracy (inference mode)',
    KINDS.map((k) => ({ label: k === 'bn' ? 'with BN' : 'without', color: COLORS[k] })),
    { width: 400, height: 200, xLabel: 'step', yRange: [0, 1] },
  );
  const curveNote = el('p', 'note');
  curvePanel.append(curveNote);

  // Panel 4: batch size.
  const noisePanel = el('div', 'panel noise-panel');
  const batchInput = el('input');
  Object.assign(batchInput, { type: 'range', min: '0', max: String(BATCHES.length - 1), step: '1', value: String(BATCHES.indexOf(batch0)) });
  batchInput.id = 'batch-size';
  const batchValue = el('output', 'batch-value');
  const batchLabel = el('label', 'batch-label');
  batchLabel.append('batch size B', batchInput, batchValue);
  const noiseRow = el('div', 'row');
  const spreadChart = lines(
    noiseRow,
    'Batch-to-batch scatter of the statistics',
    [
      { label: 'std of μ_B / σ', color: '#1f6feb', width: 2 },
      { label: 'std of σ_B / σ', color: '#0c8599', width: 2 },
      { label: '1/√B', color: '#8c959f', dash: [4, 4] },
      { label: 'slider’s B', color: '#d9480f', points: true },
    ],
    { width: 460, height: 240, xLabel: 'batch size B', logX: true },
  );
  const oneDigit = el('div', 'one-digit');
  const oneTitle = el('div', 'hist-head');
  const oneCanvas = histCanvas();
  const oneLabel = el('div', 'hist-label');
  oneDigit.append(oneTitle, oneCanvas, oneLabel);
  noiseRow.append(oneDigit);
  const spreadNote = el('p', 'note spread-note');
  const runBar = el('div', 'controls run-bar');
  const runButton = el('button');
  runButton.dataset.role = 'short-run';
  const runStatus = el('span', 'note');
  runBar.append(runButton, runStatus);
  const runTable = el('table', 'run-table');
  noisePanel.append(
    el('h2', undefined, 'Batch size: the noise of batch statistics as a regularizer'),
    batchLabel,
    el(
      'p',
      'note',
      'In training, each example is normalized with the mean and variance of the batch it happens to be in, so what the next layer sees of it changes from batch to batch: multiplicative and additive noise on every hidden unit, like the noise of chapter 7.5, and larger the smaller the batch (about 1/√B). Measured here on the batch-norm network’s own activations (the input of its batch-norm layer for all training digits, random batches drawn on the CPU).',
    ),
    noiseRow,
    spreadNote,
    runBar,
    runTable,
  );

  const bottom = el('div', 'bottom-row');
  bottom.append(infView.element, curvePanel);
  root.append(bar, histPanel, bottom, noisePanel);

  // ---- State ----
  let layer = layer0;
  let mode: StatsMode = mode0;
  let batch = batch0;
  let lastActs: Awaited<ReturnType<PairTrainer['activations']>> | null = null;
  /** Per step: each network's and layer's shown-unit summaries. */
  const history: { step: number; cells: Record<number, CellSummary[][]> }[] = [];
  const lossXs: number[] = [];
  const lossYs: number[][] = [[], []];
  const accXs: number[] = [];
  const accYs: number[][] = [[], []];
  let bnInputAll: Float32Array | null = null;
  let spreads: BatchSpread[] = [];
  const shortRuns: ShortRunResult[] = [];

  const summarize = (acts: NonNullable<typeof lastActs>, l: number): CellSummary[][] =>
    [acts.plain[l - 1], acts.bn[l - 1]].map((a) => {
      const units = hidden[l - 1];
      const rows = a.length / units;
      return SHOWN.map((u) => {
        const { mean, variance } = columnStats(a, units, u);
        let active = 0;
        for (let r = 0; r < rows; r++) if (a[r * units + u] > 0) active++;
        return { unit: u, mean, std: Math.sqrt(variance), active: active / rows };
      });
    });

  const renderHistograms = (): void => {
    if (!lastActs) return;
    const units = hidden[layer - 1];
    hook.cells = grid.draw([lastActs.plain[layer - 1], lastActs.bn[layer - 1]], units, SHOWN);
    histTitle.textContent = `Pre-activations of hidden layer ${layer}, after step ${lastActs.step}`;
    const xs = history.map((h) => h.step);
    const series = (pick: (c: CellSummary) => number) => [0, 1].flatMap((k) => SHOWN.map((_, i) => history.map((h) => pick(h.cells[layer][k][i]))));
    meanChart.set(
      xs,
      series((c) => c.mean),
    );
    stdChart.set(
      xs,
      series((c) => c.std),
    );
    layerButtons.forEach((b, i) => b.classList.toggle('active', i + 1 === layer));
    stepText.textContent = `${trainer.step} step${trainer.step === 1 ? '' : 's'} trained`;
  };

  const refreshActivations = async (): Promise<void> => {
    const acts = await trainer.activations(probe.x);
    lastActs = acts;
    if (history.at(-1)?.step !== acts.step) history.push({ step: acts.step, cells: Object.fromEntries(hidden.map((_, i) => [i + 1, summarize(acts, i + 1)])) });
    renderHistograms();
    hook.activationsStep = acts.step;
  };

  const evalHeldOut = async (): Promise<void> => {
    const ms: Metrics[] = [];
    for (const k of KINDS) ms.push(await evaluateIn(trainer.models[k], val, 256, 'running'));
    accXs.push(trainer.step);
    ms.forEach((m, i) => accYs[i].push(m.accuracy));
    accChart.set(accXs, accYs);
    hook.heldOut = { plain: ms[0].accuracy, bn: ms[1].accuracy };
    curveNote.innerHTML = `After ${trainer.step} steps: held-out accuracy <b style="color:${COLORS.plain}">${pct(ms[0].accuracy)}</b> without batch norm, <b style="color:${COLORS.bn}">${pct(ms[1].accuracy)}</b> with it (1,024 digits never trained on; batch norm on its running statistics). Same initial weights, same minibatches, same learning rate.`;
  };

  // ---- Inference panel ----
  /** Accuracies of the inference panel, measured every EVAL_EVERY steps or when the batch size changes. */
  let accCache: AccuracyCache | null = null;
  const refreshInference = async (remeasure = false): Promise<void> => {
    if (remeasure) accCache = null;
    const r = await inferenceReport(trainer.models.bn, val, split.val.labels, mode, layer, SHOWN, batch, SHOWN_DIGITS, trainer.step, accCache);
    accCache = { batch: r.batch, step: r.accuracyStep, accuracy: r.accuracy };
    hook.inference = r;
    hook.inferenceVersion = ((hook.inferenceVersion as number | undefined) ?? 0) + 1;
    infView.show(r);
  };

  // ---- Batch-size panel ----
  const renderSpread = (): void => {
    if (!bnInputAll) return;
    const units = hidden[layer - 1];
    spreads = BATCHES.map((b) => batchSpread(bnInputAll!, units, b, DRAWS, SHOWN[0], BN_EPS, seed));
    const at = spreads[BATCHES.indexOf(batch)];
    spreadChart.set(BATCHES, [
      spreads.map((s) => s.meanSpread),
      spreads.map((s) => s.stdSpread),
      BATCHES.map((b) => 1 / Math.sqrt(b)),
      BATCHES.map((b) => (b === batch ? at.meanSpread : null)),
    ]);
    batchValue.textContent = String(batch);
    const lo = Math.min(-3, ...at.normalized);
    const hi = Math.max(3, ...at.normalized);
    drawValues(oneCanvas, at.normalized, lo, hi, 30, COLORS.bn, at.normalizedPopulation);
    oneTitle.innerHTML = `One digit, unit ${SHOWN[0]} of layer ${layer}, normalized in ${DRAWS} batches of ${batch}`;
    const sd = Math.sqrt(at.normalized.reduce((s, v) => s + (v - at.normalizedPopulation) ** 2, 0) / at.normalized.length);
    oneLabel.textContent = `spread ±${sd.toFixed(2)} around ${at.normalizedPopulation.toFixed(2)} (the whole set's statistics: tick)`;
    spreadNote.innerHTML = `At B = <b>${batch}</b>, the batch mean of a unit lands on average <b>${at.meanSpread.toFixed(2)} σ</b> away from the mean of all training digits (one standard deviation across batches), and the batch std varies by <b>${(100 * at.stdSpread).toFixed(0)}%</b>. So the same digit reaches the ReLU shifted and rescaled differently each time it is drawn: the network must learn features that survive that, which is the regularizer. At B = 256 the noise has nearly gone; at B = 2 each normalized value is ±1 whatever the digit.`;
    hook.batchSize = batch;
    hook.spread = { batch, meanSpread: at.meanSpread, stdSpread: at.stdSpread, normalizedSpread: sd };
    hook.spreadVersion = ((hook.spreadVersion as number | undefined) ?? 0) + 1;
    runButton.textContent = `Train both from scratch at B = ${batch} (${shortEpochs} epochs, ${(shortEpochs * train.count) / batch} steps each)`;
  };

  const refreshBnInput = async (): Promise<void> => {
    // The whole training set as one batch: its statistics are the population's (what running averages approach).
    const order = train.identityOrder();
    const all = train.batch(order, GpuDataset.windows(train.count, train.count)[0]);
    order.dispose();
    const [t] = captureOutputs(trainer.models.bn, all.x, [`fc${layer}`], evalContext('batch'));
    all.x.dispose();
    all.targets.dispose();
    bnInputAll = await t.toArray();
    t.dispose();
    renderSpread();
  };

  const renderRuns = (): void => {
    const gap = (s: { train: Metrics; heldOut: Metrics }) => s.train.accuracy - s.heldOut.accuracy;
    const cells = (k: (typeof KINDS)[number], r: ShortRunResult) =>
      `<td>${pct(r.scores[k].train.accuracy)}</td><td>${pct(r.scores[k].heldOut.accuracy)}</td><td class="gap">${(100 * gap(r.scores[k])).toFixed(1)}</td>`;
    const sorted = [...shortRuns].sort((a, b) => a.batch - b.batch);
    runTable.innerHTML = `<thead><tr><th rowspan="2">B</th><th rowspan="2">steps</th><th colspan="3" style="color:${COLORS.plain}">without batch norm</th><th colspan="3" style="color:${COLORS.bn}">with batch norm</th></tr>
      <tr><th>train</th><th>held-out</th><th>gap (points)</th><th>train</th><th>held-out</th><th>gap (points)</th></tr></thead>
      <tbody>${sorted.map((r) => `<tr data-batch="${r.batch}"><td>${r.batch}</td><td>${r.steps}</td>${cells('plain', r)}${cells('bn', r)}</tr>`).join('')}</tbody>`;
  };

  // ---- Training ----
  /**
   * After a step: the histograms always; the inference panel's statistics and the batch-size panel
   * when `views` (a single step, or every EVAL_EVERY steps while playing); the held-out accuracies,
   * the slow part, every EVAL_EVERY steps; the held-out curve every HELD_OUT_EVERY steps.
   */
  const afterTraining = async (views: boolean): Promise<void> => {
    await refreshActivations();
    const evalNow = trainer.step % EVAL_EVERY === 0;
    if (trainer.step % HELD_OUT_EVERY === 0) await evalHeldOut();
    if (views || evalNow) {
      await refreshInference(evalNow);
      await refreshBnInput();
    }
  };

  const trainOne = (): Promise<void> =>
    serial(async () => {
      const r: PairStep = await trainer.trainStep();
      lossXs.push(r.step);
      KINDS.forEach((k, i) => lossYs[i].push(r[k].loss));
      lossChart.set(lossXs, lossYs);
      hook.lastStep = r;
      // Playing: the light refresh every step, the full one every EVAL_EVERY steps; a single step refreshes everything.
      await afterTraining(!controls.playing || trainer.step % EVAL_EVERY === 0);
    });

  const controls = trainControls(trainOne, fail);
  bar.append(controls.element, stepText, layerPick, sizesNote);
  // Paused between two refreshes of the slower panels: bring them up to the step shown.
  controls.element.querySelector('[data-role=pause]')!.addEventListener(
    'click',
    () =>
      void controls
        .idle()
        .then(() =>
          serial(async () => {
            await refreshInference();
            await refreshBnInput();
          }),
        )
        .catch(fail),
  );

  // ---- Events ----
  const setMode = (m: StatsMode): Promise<void> => {
    mode = m;
    state.set({ mode: m });
    hook.mode = m;
    return serial(refreshInference);
  };
  for (const m of ['batch', 'running'] as const) infView.buttons[m].addEventListener('click', () => void setMode(m).catch(fail));
  layerButtons.forEach((b, i) =>
    b.addEventListener('click', () => {
      layer = i + 1;
      state.set({ layer });
      renderHistograms();
      void serial(async () => {
        await refreshInference();
        await refreshBnInput();
      }).catch(fail);
    }),
  );
  let batchQueued = false;
  batchInput.addEventListener('input', () => {
    batch = BATCHES[Number(batchInput.value)];
    state.set({ batch });
    renderSpread();
    // Coalesce a burst of slider events into one inference refresh.
    if (batchQueued) return;
    batchQueued = true;
    void serial(async () => {
      batchQueued = false;
      await refreshInference();
    }).catch(fail);
  });

  const runShort = (): Promise<ShortRunResult> => {
    controls.pause();
    runButton.disabled = true;
    const b = batch;
    return controls
      .idle()
      .then(() =>
        serial(async () => {
          hook.shortRunning = true;
          const r = await shortRun(rt, train, val, { hidden, batch: b, epochs: shortEpochs, seed, lr }, (done, total) => {
            runStatus.textContent = `Training both at B = ${b}… ${done} / ${total} steps`;
          });
          const i = shortRuns.findIndex((x) => x.batch === b);
          if (i >= 0) shortRuns.splice(i, 1);
          shortRuns.push(r);
          hook.shortRuns = shortRuns;
          renderRuns();
          runStatus.textContent = `Trained ${r.steps} steps each at B = ${b} in ${r.seconds.toFixed(1)} s; both scored in inference mode on the ${train.count.toLocaleString('en-US')} training digits and the 1,024 held-out ones. Try a small and a large B: every size sees the same digits equally often, so the steps (and the noise of the gradient) differ too; the two networks at one size differ only by batch norm.`;
          return r;
        }),
      )
      .finally(() => {
        hook.shortRunning = false;
        runButton.disabled = false;
      });
  };
  runButton.addEventListener('click', () => void runShort().catch(fail));
  runStatus.textContent = 'Not run yet: trains both networks from scratch at the slider’s batch size.';

  // ---- Hook ----
  Object.assign(hook, {
    step: () => controls.stepOnce(),
    idle: () => controls.idle().then(() => queue),
    setMode: (m: StatsMode) => {
      infView.buttons[m].click();
      return queue;
    },
    setBatchSize: (b: number) => {
      batchInput.value = String(BATCHES.indexOf(b));
      batchInput.dispatchEvent(new Event('input'));
      return queue;
    },
    runShort,
  });
  Object.defineProperty(hook, 'stepCount', { get: () => trainer.step, enumerable: true });
  hook.mode = mode;
  hook.shortRuns = shortRuns;
  hook.shortRunning = false;

  await serial(() => afterTraining(true));
  renderRuns();
  hook.ready = true;
});
