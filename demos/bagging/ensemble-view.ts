/**
 * One ensemble's panel (used twice: the bagged members, and the Monte-Carlo subnetworks of one
 * dropout net): a table of the members, the chart of eq. 7.50 against k, the line that states v, c
 * and the identity, a table per k, and the gallery of held-out digits the members disagree on.
 */
import { el, html, pct, setHtml } from '../shared/dom';
import { CHART_COLORS, errorChart } from './error-chart';
import { renderGallery } from './gallery';
import type { EnsembleStats } from './stats';

/** What the panel is about. */
export interface PanelText {
  title: string;
  intro: string;
  /** "member" or "pass": a table row's name; `letter` prefixes vote tooltips (m1, m2 …). */
  memberWord: string;
  membersWord: string;
  letter: string;
  /** A level drawn in the chart besides v and c (the dropout net's single deterministic pass). */
  referenceLabel?: string;
  /** Extra table column: its heading. */
  extraHeading?: string;
}

/** A row of the members table beyond the statistics (e.g. the resample drawing, or a text: shown as text). */
export type ExtraCell = (member: number) => HTMLElement | string;

/** The panel's element and what updates it. */
export interface EnsembleView {
  readonly element: HTMLElement;
  message(text: string): void;
  /** A line of its own under the status message, with the classes `cls`, hidden until the caller shows it. */
  line(cls: string): HTMLElement;
  show(stats: EnsembleStats, heldOutImages: Float32Array, extra?: ExtraCell, reference?: number): void;
}

const f4 = (x: number): string => (Number.isFinite(x) ? x.toFixed(4) : '—');

/** Builds an empty panel; `show` fills it. */
export function ensembleView(text: PanelText, chartWidth: number): EnsembleView {
  const element = el('section', 'panel ensemble');
  element.append(el('h2', undefined, text.title), html('p', 'note intro', text.intro));
  const status = el('p', 'ens-status note');
  const row = el('div', 'ens-row');
  const left = el('div', 'ens-members');
  const table = el('table', 'members-table');
  left.append(table);
  const right = el('div', 'ens-chart');
  row.append(left, right);
  const chart = errorChart(right, `Held-out error of the average of k ${text.membersWord}`, text.membersWord, chartWidth, text.referenceLabel);
  const vcLine = el('p', 'vc-line');
  const details = el('details', 'k-details');
  details.open = true;
  details.append(el('summary', undefined, 'Every k: measured vs eq. 7.50'));
  const kTable = el('table', 'k-table');
  details.append(kTable);
  const galleryHead = el('h3');
  const gallery = el('div', 'gallery');
  element.append(status, row, vcLine, details, galleryHead, gallery);
  details.hidden = true;
  vcLine.hidden = true;

  return {
    element,
    message(t) {
      status.textContent = t;
    },
    line(cls) {
      const p = el('p', cls);
      p.hidden = true;
      status.after(p);
      return p;
    },
    show(stats, images, extra, reference) {
      const K = stats.members.length;
      chart.set(stats.rows, stats.v, stats.c, reference);
      table.hidden = K === 0;
      vcLine.hidden = K === 0;
      details.hidden = K === 0;
      galleryHead.textContent = '';
      gallery.replaceChildren();
      if (K === 0) return;
      const head = `<tr><th>${text.memberWord}</th>${text.extraHeading ? `<th>${text.extraHeading}</th>` : ''}<th title="mean over held-out digits of ‖p − y‖²">‖p − y‖²</th><th>misclassified</th></tr>`;
      setHtml(table, `<thead>${head}</thead><tbody></tbody>`);
      const body = table.tBodies[0];
      stats.members.forEach((m, i) => {
        const tr = el('tr');
        tr.append(el('td', undefined, `${text.letter}${i + 1}`));
        if (extra) {
          const td = el('td', 'extra');
          td.append(extra(i));
          tr.append(td);
        }
        tr.append(el('td', undefined, f4(m.brier)), el('td', undefined, pct(m.wrong)));
        body.append(tr);
      });
      const last = stats.rows[K - 1];
      setHtml(
        vcLine,
        K < 2
          ? `One ${text.memberWord} so far: <span style="color:${CHART_COLORS.v}">v = ${f4(stats.v)}</span>; c needs a pair.`
          : `<span style="color:${CHART_COLORS.v}"><b>v</b> = ${f4(stats.v)}</span> (mean of the ${text.membersWord}' E‖εᵢ‖²), ` +
              `<span style="color:${CHART_COLORS.c}"><b>c</b> = ${f4(stats.c)}</span> (mean over the ${(K * (K - 1)) / 2} pairs of E⟨εᵢ, εⱼ⟩), c/v = ${(stats.c / stats.v).toFixed(2)}. ` +
              `All ${K}: measured <b>${last.subsetMean.toFixed(6)}</b> = v/k + (k − 1)c/k = <b>${last.predicted.toFixed(6)}</b> ` +
              `<span class="ok">✓</span> <span class="note">(largest gap over every k: ${stats.maxIdentityGap.toExponential(1)}, float rounding)</span>. ` +
              `As k grows the error falls from v toward c: the less the ${text.membersWord}' errors are correlated, the more averaging gains.`,
      );
      setHtml(
        kTable,
        `<thead><tr><th>k</th><th>ensembles of k</th><th>measured (mean)</th><th>v/k + (k−1)c/k</th><th>first k: measured</th><th>first k: eq. 7.50 with their v, c</th><th>first k: misclassified</th></tr></thead><tbody>` +
          stats.rows
            .map(
              (r) =>
                `<tr><td>${r.k}</td><td>${r.ensembles}</td><td>${r.subsetMean.toFixed(6)}</td><td>${r.predicted.toFixed(6)}</td><td>${r.firstK.toFixed(6)}</td><td>${r.firstKPredicted.toFixed(6)}</td><td>${pct(r.firstKWrong)}</td></tr>`,
            )
            .join('') +
          '</tbody>',
      );
      galleryHead.textContent =
        K < 2
          ? ''
          : `Held-out digits the ${text.membersWord} disagree on (${stats.disagreeCount} of ${images.length / 784}; the ${stats.disagreements.length} most split shown; votes in ${text.memberWord} order, green where right)`;
      renderGallery(gallery, K < 2 ? [] : stats.disagreements, images, text.letter);
    },
  };
}
