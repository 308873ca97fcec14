/**
 * The engine as a package, used the way an outside project would: `npm run build:lib` emits
 * dist/lib (ES modules, WGSL inlined) and its declarations; a throwaway project that depends on
 * `webgpu-regularization` (linked to this repository, resolved through package.json "exports")
 * runs the README's example with plain Node — no Vite, no TypeScript loader, no WGSL loader — on
 * lavapipe, and type-checks the same example against the emitted declarations.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');

/** The README's example (kept in sync by hand: the README quotes this text). */
const EXAMPLE = `import { Runtime, GpuDataset, momentum } from 'webgpu-regularization';
import { mlp, fit, dropout, l2 } from 'webgpu-regularization/regularizers';

const rt = await Runtime.create();
const x = Float32Array.from({ length: 256 * 8 }, (_, i) => Math.sin(i * 12.9898) % 1);
const y = Array.from({ length: 256 }, (_, r) => (x[r * 8] > x[r * 8 + 1] ? 1 : 0));
const train = GpuDataset.upload(rt, x, y, 2);
const regs = [dropout({ input: 0.9, hidden: 0.8 }), l2({ alpha: 1e-4 })];
const model = mlp(rt, { sizes: [8, 32, 2], regularizers: regs });
const run = await fit(model, { train }, { optimizer: momentum({ lr: 0.05 }), regularizers: regs, epochs: 20, batchSize: 32 });
console.log(JSON.stringify(run.epochs.map((e) => e.train.accuracy)));
rt.destroy();
`;

let project: string;

beforeAll(() => {
  execFileSync('npm', ['run', 'build:lib'], { cwd: repo, stdio: 'pipe' });
  project = mkdtempSync(join(tmpdir(), 'engine-consumer-'));
  mkdirSync(join(project, 'node_modules', '@webgpu'), { recursive: true });
  symlinkSync(repo, join(project, 'node_modules', 'webgpu-regularization'), 'dir');
  symlinkSync(join(repo, 'node_modules', '@webgpu', 'types'), join(project, 'node_modules', '@webgpu', 'types'), 'dir');
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  writeFileSync(join(project, 'example.mjs'), EXAMPLE);
  writeFileSync(join(project, 'example.ts'), EXAMPLE);
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'ESNext',
        moduleResolution: 'bundler',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['@webgpu/types'],
      },
      include: ['example.ts'],
    }),
  );
}, 300_000);

describe('the engine as a package', () => {
  it('runs the README example with plain Node from dist/lib, through package.json exports', () => {
    const out = execFileSync(process.execPath, ['example.mjs'], { cwd: project, env: { ...process.env }, encoding: 'utf8', timeout: 240_000 });
    const acc = JSON.parse(out.trim().split('\n').pop()!) as number[];
    expect(acc).toHaveLength(20);
    // A separable two-class problem: training accuracy must end far above chance (0.5).
    expect(acc[acc.length - 1]).toBeGreaterThan(0.8);
  });

  it('type-checks the example against the emitted declarations', () => {
    execFileSync(process.execPath, [join(repo, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: project, stdio: 'pipe' });
  });
});
