/**
 * The derivation panel: one cell's keep/drop decision as five stages, each with its values (from
 * the TypeScript twin, ./derivation.ts), the WGSL lines that compute it shown inline, and a link
 * that opens the Source tab with those lines marked.
 */
import { setHtml } from '../shared/dom';
import { highlight } from '../shared/source';
import { PHILOX_ROUNDS } from 'webgpu-regularization';
import { hex16, hex32, uniformFraction, type CellDerivation } from './derivation';
import type { StageName, StageSource } from './wgsl-lines';

/** What the panel shows besides the derivation itself. */
export interface CellContext {
  step: number;
  /** 1-based hidden layer (its stream). */
  layer: number;
  units: number;
  keepProb: number;
  /** The GPU's mask value for the cell (1 or 0). */
  gpu: number;
}

/** The panel. */
export interface DerivationView {
  readonly element: HTMLElement;
  show(d: CellDerivation, c: CellContext, pinned: boolean): void;
}

const STAGES: { name: StageName; title: string }[] = [
  { name: 'counter', title: 'Key and counter' },
  { name: 'philox', title: `Philox4x32-${PHILOX_ROUNDS}: four random words` },
  { name: 'uniform', title: 'Half a word: a 16-bit uniform' },
  { name: 'threshold', title: 'Compare with the threshold' },
  { name: 'apply', title: 'Keep (×1/p) or drop (0)' },
];

const fileName = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

function rangeText(lines: readonly number[]): string {
  const a = lines[0];
  const b = lines[lines.length - 1];
  const contiguous = lines.every((l, i) => l === a + i);
  return contiguous ? (a === b ? `line ${a}` : `lines ${a}–${b}`) : `lines ${lines.join(', ')}`;
}

/** Builds the panel; `open(source)` shows a stage's file with its lines marked. */
export function derivationView(sources: Record<StageName, StageSource>, host: StageSource, open: (s: StageSource) => void): DerivationView {
  const element = document.createElement('div');
  element.className = 'derivation';
  const heading = document.createElement('h2');
  const where = document.createElement('p');
  where.className = 'note where';
  const list = document.createElement('ol');
  list.className = 'stages';
  element.append(heading, where, list);
  const values = new Map<StageName, HTMLElement>();

  for (const [k, s] of STAGES.entries()) {
    const src = sources[s.name];
    const li = document.createElement('li');
    li.dataset.stage = s.name;
    const head = document.createElement('div');
    head.className = 'stage-head';
    const title = document.createElement('b');
    title.textContent = `${k + 1}. ${s.title}`;
    const link = document.createElement('a');
    link.href = '#';
    link.className = 'src-link';
    link.textContent = `${fileName(src.path)} ${rangeText(src.lines)} ↗`;
    link.title = `Show ${src.path} in the Source tab with these lines marked`;
    link.addEventListener('click', (e) => {
      e.preventDefault();
      open(src);
    });
    head.append(title, link);
    if (s.name === 'threshold') {
      const hostLink = document.createElement('a');
      hostLink.href = '#';
      hostLink.className = 'src-link';
      hostLink.textContent = `host: ${fileName(host.path)} ${rangeText(host.lines)} ↗`;
      hostLink.title = 'Where the host computes the threshold from p';
      hostLink.addEventListener('click', (e) => {
        e.preventDefault();
        open(host);
      });
      head.append(hostLink);
    }
    const value = document.createElement('div');
    value.className = 'value';
    values.set(s.name, value);
    const snippet = document.createElement('div');
    snippet.className = 'snippet';
    void highlight(src.inline.map((l) => l.text).join('\n'), 'wgsl').then((html) => {
      setHtml(snippet, html);
      const code = snippet.querySelector('code');
      // shiki separates lines with newline text nodes; the lines are blocks here (a hanging indent
      // under the line number), so the newlines would show as blank lines.
      for (const n of [...(code?.childNodes ?? [])]) if (n.nodeType === Node.TEXT_NODE) n.remove();
      snippet.querySelectorAll<HTMLElement>('.line').forEach((node, i) => (node.dataset.ln = String(src.inline[i]?.line ?? '')));
    });
    li.append(head, value, snippet);
    list.append(li);
  }

  const set = (name: StageName, html: string): void => {
    setHtml(values.get(name)!, html);
  };

  return {
    element,
    show(d, c, pinned) {
      const verdict = d.keep ? 'kept' : 'dropped';
      setHtml(heading, `Example ${d.row}, unit ${d.unit}: <span class="${verdict}">${verdict}</span>`);
      where.textContent = `${pinned ? 'Selected' : 'Under the pointer'} · step ${c.step} · hidden layer ${c.layer} · element i = row·${c.units} + unit = ${d.index}`;
      const q = d.counter[0];
      set(
        'counter',
        `key = (seed_lo, seed_hi) = (${d.key[0]}, ${d.key[1]})<br>` +
          `counter = (q, stream, step_lo, step_hi) = (<b>${q}</b>, ${d.counter[1]}, ${d.counter[2]}, ${d.counter[3]}), q = ⌊i / 8⌋ = ⌊${d.index} / 8⌋` +
          `<br><span class="note">one Philox call decides elements ${8 * q}…${8 * q + 7} (the dashed box); invocation ${d.invocation} of dropout4 makes the calls for elements ${16 * d.invocation}…${16 * d.invocation + 15}</span>`,
      );
      set(
        'philox',
        `words = [${d.words.map((w, j) => (j === d.wordIndex ? `<b class="hit">${hex32(w)}</b>` : hex32(w))).join(', ')}]<br>this element reads word (i mod 8) / 2 = ${d.index % 8} / 2 = <b>${d.wordIndex}</b>`,
      );
      const op = d.half === 'low' ? `${hex32(d.words[d.wordIndex])} & 0xFFFF` : `${hex32(d.words[d.wordIndex])} >> 16`;
      set(
        'uniform',
        `i is ${d.half === 'low' ? 'even: the low' : 'odd: the high'} half → u = ${op} = ${hex16(d.u)} = <b>${d.u}</b><br><span class="note">u / 2¹⁶ = ${uniformFraction(d.u).toFixed(4)}, uniform on [0, 1)</span>`,
      );
      set(
        'threshold',
        `t = round(p · 2¹⁶) = round(${c.keepProb.toFixed(2)} · 65536) = <b>${d.threshold}</b><br>u &lt; t ⇔ ${d.u} &lt; ${d.threshold} ⇔ <b>${d.keep}</b> <span class="note">(P(u &lt; t) = t / 2¹⁶ = ${(d.threshold / 65536).toFixed(5)})</span>`,
      );
      const agree = (c.gpu !== 0) === d.keep;
      set(
        'apply',
        (d.keep
          ? `<span class="kept">kept</span>: y = x · fround(1/p) = x · ${d.scale}`
          : `<span class="dropped">dropped</span>: y = 0 (a select, not a multiply: even an inf or NaN input gives 0)`) +
          `<br>the GPU's mask says ${c.gpu} → <b class="${agree ? 'ok' : 'bad'}">${agree ? '✓ the twin agrees' : '✗ the twin disagrees'}</b>`,
      );
    },
  };
}
