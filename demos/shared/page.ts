/**
 * The frame every demo page shares: a header (back to the landing page, the title, what the page
 * teaches), Demo and Source tabs, a plain message when the browser has no WebGPU, the engine's
 * runtime, and the test hook `window.__demo` that end-to-end tests read instead of sleeping.
 */
import { Runtime } from '../../engine/index';
import type { PageMeta } from './page-meta';
import { el } from './dom';
import { sourceView, type SourceText } from './source';
import './style.css';

/** What tests read: `ready` once the page can be used, `error` if it failed, and page-specific fields. */
export interface DemoHook {
  ready: boolean;
  error?: string;
  [key: string]: unknown;
}

/**
 * What a page's body receives. `H` is the page's test hook, declared once as an interface in the page
 * (the fields its end-to-end test reads); `expose` is the one place a page writes it.
 */
export interface PageContext<H extends object = Record<string, unknown>> {
  rt: Runtime;
  /** The Demo tab's content area. */
  root: HTMLElement;
  hook: DemoHook & Partial<H>;
  /** Adds (or replaces) fields of the test hook. */
  expose(fields: Partial<H>): void;
  /** Switches to the Source tab and shows `path` with `lines` marked. */
  showSource(path: string, lines?: ReadonlySet<number>): Promise<void>;
  /** Shows an error on the page and in the hook. */
  fail(e: unknown): void;
}

const NO_WEBGPU = `This page trains on your GPU through WebGPU, and this browser does not offer it (navigator.gpu is missing).
WebGPU is on by default in Chrome and Edge 113+ on Windows, macOS and ChromeOS, and in Safari 26. On Linux and
Android Chrome, enable it at chrome://flags/#enable-unsafe-webgpu (or start Chrome with --enable-unsafe-webgpu);
in Firefox, set dom.webgpu.enabled in about:config. The page must be served over https or from localhost.`;

/** Message text of anything thrown. */
export function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Builds the frame, opens the GPU and runs the page's body. */
export async function mountPage<H extends object = Record<string, unknown>>(
  meta: PageMeta,
  sources: readonly SourceText[],
  body: (ctx: PageContext<H>) => Promise<void>,
): Promise<void> {
  const w = window as unknown as { __demo?: DemoHook };
  const hook: DemoHook & Partial<H> = { ready: false } as DemoHook & Partial<H>;
  w.__demo = hook;
  document.title = `${meta.title} — WebGPU regularization`;
  const header = el('header');
  const back = el('a', 'back', '← all demos');
  back.href = '../';
  header.append(back, el('h1', undefined, meta.title), el('p', 'teaches', meta.teaches));
  const tabs = el('nav', 'tabs');
  const demoTab = el('button', 'active', 'Demo');
  const sourceTab = el('button', undefined, 'Source');
  tabs.append(demoTab, sourceTab);
  const root = el('section', 'demo');
  const sourceRoot = el('section', 'source');
  sourceRoot.hidden = true;
  const status = el('p', 'status');
  document.body.append(header, tabs, status, root, sourceRoot);
  const select = (demo: boolean): void => {
    root.hidden = !demo;
    sourceRoot.hidden = demo;
    demoTab.classList.toggle('active', demo);
    sourceTab.classList.toggle('active', !demo);
  };
  demoTab.addEventListener('click', () => select(true));
  sourceTab.addEventListener('click', () => select(false));
  const show = sourceView(sourceRoot, sources);

  const fail = (e: unknown): void => {
    hook.error = errorText(e);
    status.className = 'status error';
    status.textContent = hook.error;
    console.error(e);
  };
  if (typeof navigator === 'undefined' || !navigator.gpu) {
    status.className = 'status error';
    status.textContent = NO_WEBGPU;
    hook.error = 'no WebGPU';
    return;
  }
  let rt: Runtime;
  try {
    rt = await Runtime.create();
  } catch (e) {
    // navigator.gpu exists but gives no adapter or device (WebGPU disabled, blocklisted GPU).
    status.className = 'status error';
    status.textContent = `${NO_WEBGPU}\n\n(${errorText(e)})`;
    hook.error = `no WebGPU adapter: ${errorText(e)}`;
    return;
  }
  try {
    status.textContent = `GPU: ${rt.adapterName}${rt.info.isFallbackAdapter ? ' — a software adapter: sizes are kept small' : ''}`;
    await body({
      rt,
      root,
      hook,
      expose: (fields) => Object.assign(hook, fields),
      showSource: async (path, lines) => {
        select(false);
        await show(path, lines);
      },
      fail,
    });
  } catch (e) {
    fail(e);
  }
}
