/**
 * The top of the page: what it measures, the "Measure again" button and the progress line. Each
 * measurement's phases are timed as the progress line moves on, for whoever tunes the page's own
 * cost (tests, a slow adapter).
 */
import { el, html } from '../shared/dom';

/** One measurement's progress: `say` shows a line and starts the phase `next`; `ms` sums each phase's time. */
export interface Phases {
  say(text: string, next: string): void;
  readonly ms: Record<string, number>;
}

/** The intro's elements, the button, and a way to start a measurement's progress. */
export interface IntroSection {
  readonly elements: readonly HTMLElement[];
  readonly again: HTMLButtonElement;
  /** Starts timing phases from now (the first phase is 'start'). */
  phases(): Phases;
}

export function introSection(): IntroSection {
  const intro = html(
    'p',
    'intro',
    'One SGD step of an MLP with inverted dropout on both hidden layers and L2 on the weights, exactly as the engine’s training loop records it: every dispatch into one command encoder, one submit per step. Below, each of its kernels is timed on the GPU, placed against what this adapter can do at best, and the fused kernels are set against their unfused twins. For the same suites side by side with tfjs-webgpu and jax-js, see the <a href="../bench/">benchmark page</a>.',
  );
  const controls = el('div', 'controls');
  const again = el('button', undefined, 'Measure again');
  again.disabled = true;
  const progress = el('span', 'progress', 'starting…');
  controls.append(again, progress);
  return {
    elements: [intro, controls],
    again,
    phases() {
      const ms: Record<string, number> = {};
      let t0 = performance.now();
      let phase = 'start';
      return {
        ms,
        say(text, next) {
          const now = performance.now();
          ms[phase] = (ms[phase] ?? 0) + now - t0;
          t0 = now;
          phase = next;
          progress.textContent = text;
        },
      };
    },
  };
}
