/**
 * "Under the hood": one training step of an MLP with dropout and L2, taken apart on the visitor's
 * GPU. The runtime's profiler (engine/runtime/profile.ts) gives every dispatch of the step its own
 * timed pass; each kernel is then replayed alone, placed on a roofline against the adapter's FMA
 * and copy ceilings measured here, and the fused kernels are set against their unfused twins.
 * Sections: intro-section.ts (progress), step-section.ts (the step's summary and timeline),
 * kernels-section.ts (the kernel table and the roofline), fusion-section.ts; this file runs the
 * measurement through them.
 *
 * The hash `#clock=wall` forces the fallback a browser without `timestamp-query` gets: per-kernel
 * wall-clock times, measured by syncing around submits of a single dispatch.
 *
 * Test hook (`window.__demo`): ready; done (a measurement finished); measure() (measures again);
 * countWork(steps) (dispatches and submits per step from the runtime's counters); phaseMs; clock;
 * config; work ({ dispatchesPerStep, submitsPerStep, profiledDispatches, profiledSubmits,
 * unfusedDispatchesPerStep }); stepMs; profile (one row per kernel, with its rates); roofline
 * ({ dots, ceilings, peakGflops, bandwidthGBs }); comparisons.
 */
import { hashState } from '../shared/hash';
import { mountPage } from '../shared/page';
import { type Clock, timeBatch } from './clock';
import { fusionSection } from './fusion-section';
import { introSection } from './intro-section';
import { kernelsSection, type ProfileRow, type RooflineState } from './kernels-section';
import { compareFusion, countWork, measureCeilings, profileStep, replayUs, type Comparison, type WorkCount } from './measure';
import { meta } from './meta';
import { entryLines, SOURCES } from './sources';
import { buildStep, stepConfig, type StepConfig } from './step';
import { stepSection } from './step-section';
import { rowUs } from './views';
import './page.css';

/** The fields tests/browser/demo-under-the-hood.test.ts reads, and a few for whoever tunes the page. */
interface Hook {
  done: boolean;
  measure(): Promise<void>;
  countWork(steps?: number): Promise<WorkCount>;
  /** How long each phase of the last measurement took (ms). */
  phaseMs: Record<string, number>;
  clock: Clock;
  config: StepConfig;
  work: { dispatchesPerStep: number; submitsPerStep: number; profiledDispatches: number; profiledSubmits: number; unfusedDispatchesPerStep: number };
  stepMs: number;
  profile: ProfileRow[];
  roofline: RooflineState;
  comparisons: Comparison[];
}

void mountPage<Hook>(meta, SOURCES, async ({ rt, root, hook, expose, showSource, fail }) => {
  const state = hashState({ clock: 'auto' });
  const hasTimestamps = rt.device.features.has('timestamp-query');
  const clock: Clock = state.value.clock === 'wall' || !hasTimestamps ? 'wall' : 'timestamp';
  const s = buildStep(rt, stepConfig(rt));

  root.classList.add('uth');
  const intro = introSection();
  const step = stepSection();
  const kernels = kernelsSection({
    onSource: (r) => void showSource(r.dispatch.file, entryLines(r.dispatch.file, r.dispatch.entry)),
    onRoofline: (roofline) => expose({ roofline }),
    onRedraw: (rows) => step.timeline(rows, (r) => (clock === 'timestamp' ? r.inStepUs : rowUs(r))),
  });
  const fusion = fusionSection();
  root.append(...intro.elements, step.element, ...kernels.elements, fusion.element);

  /** The whole measurement, phase by phase, each section filled as its numbers arrive. */
  const measureAll = async (): Promise<void> => {
    const phases = intro.phases();
    expose({ phaseMs: phases.ms });
    s.reset();
    phases.say('warming up (compiling the step’s pipelines)…', 'warm-up');
    for (let i = 0; i < 2; i++) {
      s.step();
      await rt.sync();
    }
    const work = await countWork(rt, s.step, 2);
    phases.say('timing the whole step…', 'step');
    const stepUs = (await timeBatch(rt, s.step, clock)) / 1e3;
    phases.say(`profiling ${clock === 'timestamp' ? 'several steps, one timed pass per dispatch' : 'one step'}…`, 'profile');
    const { rows, profile } = await profileStep(rt, s, clock, rt.info.isFallbackAdapter ? 3 : 10);
    step.show({ config: s.config, work, stepUs, rows, profile, clock, hasTimestamps });
    kernels.show(rows, clock);
    try {
      phases.say('measuring the ceilings (FMA peak, copy)…', 'ceilings');
      kernels.setCeilings(await measureCeilings(rt, clock));
      for (const r of rows) {
        phases.say(`replaying kernel ${r.n} of ${rows.length} alone…`, 'replays');
        r.aloneUs = await replayUs(profile, r.n - 1, clock);
        kernels.redraw();
      }
    } finally {
      profile.dispose();
    }
    kernels.writeNotes();
    const addRow = fusion.start();
    const comparisons = await compareFusion(rt, s, clock, (c) => {
      phases.say(`fused against unfused: ${c.what} done`, 'fusion');
      addRow(c);
    });
    expose({
      clock,
      config: s.config,
      work: {
        dispatchesPerStep: work.dispatches,
        submitsPerStep: work.submits,
        profiledDispatches: profile.dispatches.length,
        profiledSubmits: profile.submits,
        unfusedDispatchesPerStep: comparisons[0].unfused.dispatches,
      },
      stepMs: stepUs / 1e3,
      profile: kernels.profileRows(),
      comparisons,
    });
    phases.say(`done: ${rows.length} kernels, ${comparisons.length} comparisons, on the ${clock === 'timestamp' ? 'GPU timestamps' : 'wall clock'}.`, 'done');
  };

  const measure = async (): Promise<void> => {
    intro.again.disabled = true;
    expose({ done: false });
    try {
      await measureAll();
      expose({ done: true });
    } catch (e) {
      fail(e);
    } finally {
      intro.again.disabled = false;
    }
  };
  expose({ measure, countWork: (steps = 1) => countWork(rt, s.step, steps) });
  intro.again.addEventListener('click', () => void measure());
  await measure();
  hook.ready = !hook.error;
});
