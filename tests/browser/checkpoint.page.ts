/**
 * The browser half of the checkpoint check. `?phase=save`: train a small network with batch norm,
 * dropout and Adam, save a checkpoint to IndexedDB and offer it as a download. `?phase=load` (after a
 * reload): a fresh model and optimizer in another state load the stored checkpoint back; a truncated
 * copy is refused first and changes nothing.
 */
import { Adam, CheckpointError, loadCheckpoint, Runtime, saveCheckpoint } from '../../engine/index';
import { deleteStoredCheckpoint, downloadCheckpoint, loadStoredCheckpoint, storeCheckpoint, storedCheckpointKeys } from '../../engine/io/browser';
import { fnv1a } from '../helpers/random';
import { fullState, makeModel, trainSteps } from '../io/train-helper';
import { CHECKPOINT_KEY, DOWNLOAD_NAME, type LoadReport, type SaveReport } from './checkpoint.contract';

async function save(): Promise<SaveReport> {
  const rt = await Runtime.create();
  const model = makeModel(rt, 1);
  const opt = new Adam(model.arena, { lr: 0.01 });
  trainSteps(rt, model, opt, 0, 4);
  const bytes = await saveCheckpoint(model, opt);
  await storeCheckpoint(CHECKPOINT_KEY, bytes);
  const a = downloadCheckpoint(bytes, DOWNLOAD_NAME);
  const report: SaveReport = {
    phase: 'save',
    adapter: rt.adapterName,
    state: await fullState(model, opt),
    bytes: bytes.length,
    digest: fnv1a(bytes),
    download: { name: a.download, blobUrl: a.href.startsWith('blob:') },
    storedKeys: await storedCheckpointKeys(),
  };
  opt.dispose();
  model.dispose();
  rt.destroy();
  return report;
}

async function load(): Promise<LoadReport> {
  const rt = await Runtime.create();
  const model = makeModel(rt, 1);
  const opt = new Adam(model.arena, { lr: 0.01 });
  trainSteps(rt, model, opt, 30, 32);
  const before = await fullState(model, opt);
  const bytes = await loadStoredCheckpoint(CHECKPOINT_KEY);
  if (!bytes) throw new Error(`no checkpoint stored under "${CHECKPOINT_KEY}"`);
  let truncatedError = 'no error';
  try {
    loadCheckpoint(bytes.slice(0, bytes.length - 3), model, opt);
  } catch (e) {
    truncatedError = e instanceof CheckpointError ? e.message : `not a CheckpointError: ${String(e)}`;
  }
  const afterRefusal = await fullState(model, opt);
  const info = loadCheckpoint(bytes, model, opt);
  const after = await fullState(model, opt);
  await deleteStoredCheckpoint(CHECKPOINT_KEY);
  const report: LoadReport = {
    phase: 'load',
    before,
    after,
    step: info.step,
    bytes: bytes.length,
    digest: fnv1a(bytes),
    keysAfterDelete: await storedCheckpointKeys(),
    truncatedError,
    afterRefusal,
  };
  opt.dispose();
  model.dispose();
  rt.destroy();
  return report;
}

const el = document.getElementById('out')!;
const w = window as unknown as { __checkpoint?: SaveReport | LoadReport | { error: string } };
const phase = new URLSearchParams(location.search).get('phase');
(phase === 'load' ? load() : save()).then(
  (r) => {
    w.__checkpoint = r;
    el.textContent = `${r.phase}: ${r.bytes} bytes, digest ${r.digest}`;
  },
  (e: unknown) => {
    w.__checkpoint = { error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) };
    el.textContent = w.__checkpoint.error;
  },
);
