/**
 * "3 · Save and load": the current network (the MLP or the CNN) as a safetensors file (a download, and a link to it),
 * loaded back from a file, or kept in this browser (IndexedDB) and restored after a reload. A file
 * that is corrupted or of another kind is refused with the reason, and the network is kept.
 */
import { downloadCheckpoint, loadStoredCheckpoint, storeCheckpoint } from '../../engine/io/browser';
import type { JobQueue } from '../shared/jobs';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from './checkpoint';
import type { RunSection } from './run-section';
import { savePanel } from './save-panel';
import { describeNet, type NetShape } from './settings';

/** The IndexedDB key of the model kept in this browser. */
const STORE_KEY = 'train-demo/model';

/** What the test hook reads about saving and loading. */
export interface ModelFilesHook {
  /** The current network's checkpoint, base64 (for the test to compare tensors). */
  saveModel(): Promise<string>;
  /** The blob URL of the last saved file. */
  savedUrl: string;
  saves: number;
  loads: number;
  stores: number;
  restores: number;
  /** The line about the model kept in this browser (null when none is). */
  storedLine: string | null;
  /** Why the last file was refused. */
  loadError: string | null;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

const storedLine = (ck: Checkpoint): string =>
  `Kept in this browser: ${describeNet(ck.net)} at step ${ck.step}${ck.savedAt ? `, stored ${new Date(ck.savedAt).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}` : ''}.`;

/** A file name's description of a network: "mlp-784-128-10", "cnn-4-8-32". */
const fileStem = (n: NetShape): string => (n.kind === 'mlp' ? `mlp-${n.sizes.join('-')}` : `cnn-${n.channels.join('-')}-${n.dense}`);

/** Builds the panel into `root`; resolves once it shows whether a model is kept in this browser. */
export async function modelFilesSection(
  root: HTMLElement,
  run: () => RunSection,
  queue: JobQueue,
  expose: (f: Partial<ModelFilesHook>) => void,
  fail: (e: unknown) => void,
): Promise<void> {
  const counts = { saves: 0, loads: 0, stores: 0, restores: 0 };
  const count = (k: keyof typeof counts): void => expose({ [k]: ++counts[k] });

  const checkpointBytes = (): Promise<{ bytes: Uint8Array; step: number }> =>
    queue(async () => {
      const { trainer, settings } = run();
      const step = trainer.step;
      const bytes = await encodeCheckpoint(trainer.model, { net: trainer.net, settings, step, savedAt: new Date() });
      return { bytes, step };
    });
  const saveModel = async (): Promise<void> => {
    const { bytes, step } = await checkpointBytes();
    const name = `mnist-${fileStem(run().trainer.net)}-step${step}.safetensors`;
    downloadCheckpoint(bytes, name);
    expose({ savedUrl: save.offer(name, bytes) });
    count('saves');
    save.status(`Saved at step ${step}: the link downloads it again; load it back with the file input.`);
  };
  /** Replaces the network by a checkpoint's, or says why it cannot (the current network is kept when the file is refused). */
  const loadBytes = async (bytes: Uint8Array, what: string): Promise<boolean> => {
    try {
      const ck = decodeCheckpoint(bytes);
      await run().restart(ck.settings, ck);
      save.status(`Loaded ${what}: a ${describeNet(ck.net)} trained for ${ck.step} steps.`);
      return true;
    } catch (e) {
      save.status(`Could not load ${what}: ${message(e)}`, true);
      expose({ loadError: message(e) });
      return false;
    }
  };
  const showStored = (line: string | null): void => {
    save.stored(line);
    expose({ storedLine: line });
  };
  const save = savePanel(root, {
    save: () => void saveModel().catch(fail),
    load: (f) =>
      void f.arrayBuffer().then(async (b) => {
        if (await loadBytes(new Uint8Array(b), f.name)) count('loads');
      }),
    store: () =>
      void checkpointBytes()
        .then(async ({ bytes }) => {
          await storeCheckpoint(STORE_KEY, bytes);
          showStored(storedLine(decodeCheckpoint(bytes)));
          count('stores');
        })
        .catch((e) => save.status(`Could not keep the model in this browser: ${message(e)}`, true)),
    restore: () =>
      void loadStoredCheckpoint(STORE_KEY).then(
        async (bytes) => {
          if (!bytes) {
            showStored(null);
            save.status('No model is kept in this browser.', true);
          } else if (await loadBytes(bytes, 'the model kept in this browser')) count('restores');
        },
        (e) => save.status(`Could not read the model kept in this browser: ${message(e)}`, true),
      ),
  });

  expose({
    ...counts,
    savedUrl: '',
    storedLine: null,
    saveModel: async () => {
      const { bytes } = await checkpointBytes();
      let s = '';
      for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(s);
    },
  });
  // The line about a model kept here by an earlier visit (IndexedDB may be unavailable: private windows).
  try {
    const kept = await loadStoredCheckpoint(STORE_KEY);
    showStored(kept ? storedLine(decodeCheckpoint(kept)) : null);
  } catch (e) {
    showStored(null);
    save.stored(`Nothing can be kept in this browser: ${message(e)}`, false);
  }
}
