/**
 * Command-line parsing of `npm run bench`: each option against the value it must produce, and
 * unknown or malformed options refused with a message naming them.
 */
import { describe, expect, it } from 'vitest';
import { checkCliOptions, pageQuery, parseCliArgs, sizesFor, type KnownSuite } from '../../bench/cli-args';

describe('bench command line', () => {
  it('has defaults that run every suite in Chromium', () => {
    const o = parseCliArgs([]);
    expect(o).toMatchObject({ node: false, tiny: false, full: false, browserFlags: [], outDir: 'out/bench', list: false, help: false });
    expect(o.suites).toBeUndefined();
    expect(o.gpuFlags).toBeUndefined();
  });

  it('parses every option', () => {
    const o = parseCliArgs([
      '--node',
      '--tiny',
      '--suites=matmul,mlp',
      '--suite=dropout',
      '--sizes=256,1024',
      '--sizes=matmul=64,128; prox=4096',
      '--samples=9',
      '--adapter=swiftshader',
      '--browser=/opt/chrome',
      '--gpu-flags=--enable-unsafe-webgpu',
      '--gpu-flags=--use-angle=vulkan --enable-features=Vulkan,X',
      '--browser-flags=--a --b',
      '--out=o',
      '--json=o/x.json',
      '--html=o/x.html',
      '--timeout=60',
      '--from=old.json',
    ]);
    expect(o).toMatchObject({
      node: true,
      tiny: true,
      suites: ['matmul', 'mlp', 'dropout'],
      sizes: { '*': [256, 1024], matmul: [64, 128], prox: [4096] },
      samples: 9,
      adapter: 'swiftshader',
      browser: '/opt/chrome',
      gpuFlags: ['--enable-unsafe-webgpu', '--use-angle=vulkan', '--enable-features=Vulkan,X'],
      browserFlags: ['--a', '--b'],
      outDir: 'o',
      json: 'o/x.json',
      html: 'o/x.html',
      timeoutS: 60,
      from: 'old.json',
    });
  });

  it('refuses what it does not understand', () => {
    expect(() => parseCliArgs(['--bogus'])).toThrow(/unknown option --bogus/);
    expect(() => parseCliArgs(['matmul'])).toThrow(/unexpected argument "matmul"/);
    expect(() => parseCliArgs(['--samples=3'])).toThrow(/at least 5/);
    expect(() => parseCliArgs(['--sizes=12,x'])).toThrow(/--sizes/);
    expect(() => parseCliArgs(['--sizes=matmul='])).toThrow(/--sizes/);
    expect(() => parseCliArgs(['--sizes=256.5'])).toThrow(/positive integers.*"256.5"/);
    expect(() => parseCliArgs(['--adapter=metal'])).toThrow(/--adapter/);
    expect(() => parseCliArgs(['--out'])).toThrow(/--out needs a value/);
  });

  it('gives each suite its own sizes, else the sizes for every suite', () => {
    const spec = parseCliArgs(['--sizes=256', '--sizes=matmul=64']).sizes;
    expect(sizesFor(spec, 'matmul')).toEqual([64]);
    expect(sizesFor(spec, 'prox')).toEqual([256]);
    expect(sizesFor(parseCliArgs(['--sizes=matmul=64']).sizes, 'prox')).toBeUndefined();
  });

  it('passes the run options to the page in its query string', () => {
    const q = new URLSearchParams(pageQuery({ suites: ['a', 'b'], sizes: { '*': [64], a: [8, 16] }, samples: 5, tiny: true }));
    expect(q.getAll('sizes')).toEqual(['64', 'a=8,16']);
    expect(Object.fromEntries([...q].filter(([k]) => k !== 'sizes'))).toEqual({ auto: '1', suites: 'a,b', samples: '5', tiny: '1' });
    expect(new URLSearchParams(pageQuery({ tiny: false, full: true })).get('full')).toBe('1');
    expect(new URLSearchParams(pageQuery({ tiny: false })).has('full')).toBe(false);
  });

  it('takes --full for the large sizes', () => {
    expect(parseCliArgs(['--full']).full).toBe(true);
  });
});

describe('checking the options before anything starts', () => {
  const registry: KnownSuite[] = [{ name: 'matmul', sizes: 'N' }, { name: 'dropout', sizes: 'elements' }, { name: 'mlp' }];
  const check =
    (...argv: string[]) =>
    () =>
      checkCliOptions(parseCliArgs(argv), registry);

  it('accepts consistent options', () => {
    for (const argv of [
      [],
      ['--suites=matmul,mlp', '--sizes=matmul=256', '--sizes=512'],
      ['--node', '--adapter=lavapipe', '--full'],
      ['--gpu-flags=--enable-unsafe-webgpu'],
      ['--from=r.json', '--out=o'],
    ]) {
      expect(check(...argv), argv.join(' ')).not.toThrow();
    }
  });

  it('names an unknown suite and lists the valid ones', () => {
    expect(check('--suites=matmul,mpl')).toThrow('--suites: unknown suite "mpl"; the suites are matmul, dropout, mlp');
    expect(check('--suites=a', '--suite=b')).toThrow('unknown suites "a", "b"');
  });

  it('refuses sizes for an unknown suite, a suite without sizes, or a suite not selected', () => {
    expect(check('--sizes=matmull=256')).toThrow('--sizes=matmull=...: unknown suite "matmull"; suites that take sizes: matmul, dropout');
    expect(check('--sizes=mlp=128')).toThrow('suite "mlp" takes no sizes; suites that take sizes: matmul, dropout');
    expect(check('--suites=matmul', '--sizes=dropout=4096')).toThrow('suite "dropout" is not among --suites=matmul');
  });

  it('refuses options that contradict each other or do not apply to the chosen run', () => {
    expect(check('--tiny', '--full')).toThrow('--tiny and --full');
    expect(check('--adapter=swiftshader')).toThrow('--adapter=swiftshader applies only with --node');
    expect(check('--node', '--browser=/x', '--gpu-flags=--a')).toThrow('--browser, --gpu-flags apply only to the browser run');
    expect(check('--from=r.json', '--samples=9', '--tiny')).toThrow('--from=r.json measures nothing, so --samples, --tiny would be ignored');
  });
});
