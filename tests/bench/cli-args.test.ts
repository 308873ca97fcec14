/**
 * Command-line parsing of `npm run bench`: each option against the value it must produce, and
 * unknown or malformed options refused with a message naming them.
 */
import { describe, expect, it } from 'vitest';
import { pageQuery, parseCliArgs, sizesFor } from '../../bench/cli-args';

describe('bench command line', () => {
  it('has defaults that run every suite in Chromium', () => {
    const o = parseCliArgs([]);
    expect(o).toMatchObject({ node: false, tiny: false, browserFlags: [], outDir: 'out/bench', list: false, help: false });
    expect(o.suites).toBeUndefined();
    expect(o.gpuFlags).toBeUndefined();
  });

  it('parses every option', () => {
    const o = parseCliArgs([
      '--node', '--tiny', '--suites=matmul,mlp', '--suite=dropout', '--sizes=256,1024', '--sizes=matmul=64,128; prox=4096', '--samples=9', '--adapter=swiftshader',
      '--browser=/opt/chrome', '--gpu-flags=--enable-unsafe-webgpu', '--gpu-flags=--use-angle=vulkan --enable-features=Vulkan,X',
      '--browser-flags=--a --b', '--out=o', '--json=o/x.json', '--html=o/x.html', '--timeout=60', '--from=old.json',
    ]);
    expect(o).toMatchObject({
      node: true, tiny: true, suites: ['matmul', 'mlp', 'dropout'], sizes: { '*': [256, 1024], matmul: [64, 128], prox: [4096] }, samples: 9, adapter: 'swiftshader', browser: '/opt/chrome',
      gpuFlags: ['--enable-unsafe-webgpu', '--use-angle=vulkan', '--enable-features=Vulkan,X'], browserFlags: ['--a', '--b'],
      outDir: 'o', json: 'o/x.json', html: 'o/x.html', timeoutS: 60, from: 'old.json',
    });
  });

  it('refuses what it does not understand', () => {
    expect(() => parseCliArgs(['--bogus'])).toThrow(/unknown option --bogus/);
    expect(() => parseCliArgs(['matmul'])).toThrow(/unexpected argument "matmul"/);
    expect(() => parseCliArgs(['--samples=3'])).toThrow(/at least 5/);
    expect(() => parseCliArgs(['--sizes=12,x'])).toThrow(/--sizes/);
    expect(() => parseCliArgs(['--sizes=matmul='])).toThrow(/--sizes/);
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
  });
});
