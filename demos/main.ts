/**
 * The landing page: one card per demo, found by glob (demos/<name>/meta.ts), with the page's
 * thumbnail (demos/<name>/thumb.png, a screenshot its end-to-end test takes) and what it teaches.
 */
import type { PageMeta } from './shared/page-meta';
import './shared/style.css';
import './landing.css';

const metas = Object.values(import.meta.glob<PageMeta>('./*/meta.ts', { eager: true, import: 'meta' })).sort((a, b) => a.order - b.order);
const thumbs = import.meta.glob<string>('./*/thumb.png', { eager: true, query: '?url', import: 'default' });

const root = document.getElementById('pages')!;
for (const m of metas) {
  const a = document.createElement('a');
  a.className = 'card';
  a.href = `./${m.name}/`;
  const thumb = thumbs[`./${m.name}/thumb.png`];
  if (thumb) {
    const img = document.createElement('img');
    img.src = thumb;
    img.alt = `${m.title} (screenshot)`;
    a.append(img);
  }
  const h = document.createElement('h2');
  h.textContent = m.title;
  const p = document.createElement('p');
  p.textContent = m.teaches;
  a.append(h, p);
  root.append(a);
}

const gpu = document.getElementById('gpu')!;
if (!navigator.gpu) {
  gpu.className = 'status error';
  gpu.textContent = 'This browser does not offer WebGPU (navigator.gpu is missing); each page says how to enable it.';
} else {
  void navigator.gpu.requestAdapter().then((a) => {
    gpu.textContent = a
      ? `WebGPU adapter: ${[a.info.vendor, a.info.architecture, a.info.device].filter((s) => s).join(' ') || 'available'}`
      : 'WebGPU is present but offers no adapter.';
  });
}
(window as unknown as { __demo?: { ready: boolean; pages: number } }).__demo = { ready: true, pages: metas.length };
