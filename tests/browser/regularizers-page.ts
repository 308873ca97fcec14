/**
 * The browser half of the regularizers' end-to-end check: the shared run (./regularizers-run.ts)
 * through navigator.gpu, reported on `window.__regularizers` for e2e.test.ts.
 */
import { Runtime } from '../../engine/index';
import type { RegularizersReport } from './regularizers-contract';
import { runRegularizers } from './regularizers-run';

async function run(): Promise<RegularizersReport> {
  const rt = await Runtime.create();
  try {
    return await runRegularizers(rt);
  } finally {
    rt.destroy();
  }
}

const el = document.getElementById('out')!;
const w = window as unknown as { __regularizers?: RegularizersReport | { error: string } };
run().then(
  (r) => {
    w.__regularizers = r;
    el.textContent = JSON.stringify({ ...r, translateInput: '…', translateOutput: '…' }, null, 1);
  },
  (e: unknown) => {
    w.__regularizers = { error: e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e) };
    el.textContent = w.__regularizers.error;
  },
);
