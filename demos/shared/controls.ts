/**
 * Play / pause / single-step controls for a page that trains: `step` is awaited one call at a
 * time (never overlapping), while playing it runs back to back, yielding to the browser between
 * calls so the page stays responsive.
 */

/** The controls' state and buttons. */
export interface TrainControls {
  readonly element: HTMLElement;
  readonly playing: boolean;
  play(): void;
  pause(): void;
  /** Runs one step (when paused); resolves when it is done. */
  stepOnce(): Promise<void>;
  /** Resolves when the step in progress, if any, has finished. */
  idle(): Promise<void>;
}

/** Builds the three buttons around `step`; `onError` receives a failed step's error (training pauses). */
export function trainControls(step: () => Promise<void>, onError: (e: unknown) => void): TrainControls {
  const element = document.createElement('div');
  element.className = 'controls';
  const playBtn = button('▶ Play', 'play');
  const pauseBtn = button('Pause', 'pause');
  const stepBtn = button('Step ›', 'step');
  element.append(playBtn, pauseBtn, stepBtn);
  let playing = false;
  let current: Promise<void> = Promise.resolve();

  const runOne = (): Promise<void> => {
    current = current.then(step).catch((e: unknown) => {
      playing = false;
      sync();
      onError(e);
    });
    return current;
  };
  const loop = async (): Promise<void> => {
    while (playing) {
      await runOne();
      await new Promise((r) => setTimeout(r, 0));
    }
  };
  const sync = (): void => {
    playBtn.disabled = playing;
    pauseBtn.disabled = !playing;
    stepBtn.disabled = playing;
  };
  const api: TrainControls = {
    element,
    get playing() {
      return playing;
    },
    play() {
      if (playing) return;
      playing = true;
      sync();
      void loop();
    },
    pause() {
      playing = false;
      sync();
    },
    stepOnce() {
      return playing ? current : runOne();
    },
    idle() {
      return current;
    },
  };
  playBtn.addEventListener('click', () => api.play());
  pauseBtn.addEventListener('click', () => api.pause());
  stepBtn.addEventListener('click', () => void api.stepOnce());
  sync();
  return api;
}

function button(label: string, role: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.textContent = label;
  b.dataset.role = role;
  return b;
}
