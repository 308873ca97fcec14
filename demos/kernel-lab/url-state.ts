/**
 * The lab's state in the URL hash, so that a link reproduces the kernel: the preset, its params,
 * and the edited source, deflated (fflate) and base64url-encoded; a source equal to the preset's is
 * left out. `budget` (ms) and `quick` (fewer, shorter samples: the tests on a software adapter)
 * ride along.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';

/** What the hash holds. */
export interface LabUrlState {
  preset: string;
  params: Record<string, number>;
  /** The edited WGSL, or null when it is the preset's. */
  source: string | null;
  budgetMs: number;
  quick: boolean;
}

/** The time budget of one run when the hash gives none, ms. */
export const DEFAULT_BUDGET_MS = 20_000;

/** Deflate + base64url. */
export function packSource(text: string): string {
  const bytes = deflateSync(strToU8(text), { level: 9 });
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The inverse of {@link packSource}. */
export function unpackSource(packed: string): string {
  const bin = atob(packed.replace(/-/g, '+').replace(/_/g, '/'));
  return strFromU8(inflateSync(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
}

/** Reads the hash; missing fields are null/defaults. A source that does not decode is dropped. */
export function readUrlState(hash: string): Partial<LabUrlState> {
  const q = new URLSearchParams(hash.replace(/^#/, ''));
  const out: Partial<LabUrlState> = {};
  const preset = q.get('preset');
  if (preset) out.preset = preset;
  const params = q.get('params');
  if (params) {
    out.params = {};
    for (const kv of params.split(',')) {
      const [k, v] = kv.split(':');
      if (k && Number.isFinite(Number(v))) out.params[k] = Number(v);
    }
  }
  const src = q.get('src');
  if (src) {
    try {
      out.source = unpackSource(src);
    } catch {
      out.source = null;
    }
  }
  const budget = Number(q.get('budget'));
  if (budget > 0) out.budgetMs = budget;
  if (q.get('quick') === '1') out.quick = true;
  return out;
}

/** Writes the hash (replaceState: an edit is not a history entry). */
export function writeUrlState(s: LabUrlState): void {
  const q = new URLSearchParams();
  q.set('preset', s.preset);
  q.set(
    'params',
    Object.entries(s.params)
      .map(([k, v]) => `${k}:${v}`)
      .join(','),
  );
  if (s.source !== null) q.set('src', packSource(s.source));
  if (s.budgetMs !== DEFAULT_BUDGET_MS) q.set('budget', String(s.budgetMs));
  if (s.quick) q.set('quick', '1');
  history.replaceState(null, '', `#${q.toString()}`);
}
