/**
 * Counting the GPU work of a benchmark sample (bench/gpu-work.ts) on the test's adapter: the counts
 * agree with what was recorded (the engine's own work statistics, and raw WebGPU calls made here),
 * CPU-only work counts zero and is flagged in the report, and the wrapped prototypes are restored.
 * Also the estimate of the time left (bench/run-suites.ts), which is pure arithmetic.
 */
import { describe, expect, it } from 'vitest';
import { add } from '../../engine/index';
import { countGpuWork, GpuWorkTally, NO_GPU_WORK, noGpuWork } from '../../bench/gpu-work';
import { analyzeRows } from '../../bench/report/analyze';
import { fmtGpuWork, gpuWorkWarnings } from '../../bench/report/format';
import type { BenchReport } from '../../bench/report/types';
import { validateReport } from '../../bench/report/validate';
import { Eta, fmtDuration } from '../../bench/run-suites';
import { sampleCalls } from '../../bench/timing';
import { useRuntime } from '../helpers/gpu';

const rt = useRuntime();

describe('countGpuWork', () => {
  it("counts the engine's dispatches and submits as the engine does", async () => {
    const r = rt();
    const a = r.tensor(new Float32Array(256).fill(1));
    const b = r.tensor(new Float32Array(256).fill(2));
    const w0 = r.workStats();
    const { work } = await countGpuWork(r.device, async () => {
      for (let i = 0; i < 3; i++) add(a, b).dispose();
      await r.sync();
    });
    const w1 = r.workStats();
    expect(work).toEqual({ dispatches: w1.dispatches - w0.dispatches, submits: w1.submits - w0.submits });
    expect(work.dispatches).toBe(3);
    expect(work.submits).toBeGreaterThanOrEqual(1);
    a.dispose();
    b.dispose();
  });

  it('counts raw WebGPU calls made outside the engine (as a peer library makes them), direct and indirect', async () => {
    const device = rt().device;
    const module = device.createShaderModule({ code: '@compute @workgroup_size(1) fn main() {}' });
    const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    const indirect = device.createBuffer({ size: 12, usage: GPUBufferUsage.INDIRECT | GPUBufferUsage.COPY_DST });
    device.queue.writeBuffer(indirect, 0, new Uint32Array([1, 1, 1]));
    const { work } = await countGpuWork(device, async () => {
      for (let s = 0; s < 2; s++) {
        const enc = device.createCommandEncoder();
        const pass = enc.beginComputePass();
        pass.setPipeline(pipeline);
        pass.dispatchWorkgroups(1);
        pass.dispatchWorkgroups(2);
        pass.dispatchWorkgroupsIndirect(indirect, 0);
        pass.end();
        device.queue.submit([enc.finish()]);
      }
      await device.queue.onSubmittedWorkDone();
    });
    expect(work).toEqual({ submits: 2, dispatches: 6 });
    indirect.destroy();
  });

  it('counts nothing for work done on the CPU, and the report flags such a row', async () => {
    const m = await sampleCalls(rt().device, 4, async () => {
      let s = 0;
      for (let i = 0; i < 1e5; i++) s += Math.sqrt(i);
      expect(s).toBeGreaterThan(0);
    });
    expect(m.work).toEqual({ submits: 0, dispatches: 0 });
    const tally = new GpuWorkTally();
    tally.add(m.work, 4);
    const cpu = tally.perCall();
    expect(cpu).toEqual({ calls: 4, submitsPerCall: 0, dispatchesPerCall: 0 });
    expect(noGpuWork(cpu)).toBe(true);

    const gpu = new GpuWorkTally();
    gpu.add({ submits: 1, dispatches: 6 }, 2);
    gpu.add({ submits: 1, dispatches: 6 }, 2);
    expect(gpu.perCall()).toEqual({ calls: 4, submitsPerCall: 0.5, dispatchesPerCall: 3 });
    const { rows, ceilings } = analyzeRows([
      { suite: 's', case: 'c', impl: 'engine', unit: 'ms', value: 1, samplesMs: [1, 1, 1, 1, 1], gpuWork: gpu.perCall() },
      { suite: 's', case: 'c', impl: 'peer', unit: 'ms', value: 2, samplesMs: [2, 2, 2, 2, 2], gpuWork: cpu },
      { suite: 's', case: 'c', impl: 'ceiling-copy', unit: 'GB/s', value: 2, samplesMs: [2, 2, 2, 2, 2], gpuWork: cpu },
    ]);
    expect(fmtGpuWork(rows[0])).toBe('0.5 submits, 3 dispatches');
    expect(fmtGpuWork(rows[1])).toBe(NO_GPU_WORK);
    // A ceiling made of buffer copies has no dispatch and is not a suspect.
    expect(fmtGpuWork(rows[2])).toBe('0 submits, 0 dispatches');
    const report: BenchReport = {
      schemaVersion: 1,
      createdAt: new Date(0).toISOString(),
      host: 'node',
      runtime: 'Node',
      adapter: rt().info,
      timestampQuery: false,
      options: { suites: ['s'], samples: 5, tiny: true, full: false },
      ceilings,
      rows,
      errors: [],
      durationMs: 1,
    };
    expect(gpuWorkWarnings(report)).toEqual([`WARNING: s c peer made no GPU dispatch while it was timed (4 calls): ${NO_GPU_WORK}`]);
    expect(validateReport(JSON.parse(JSON.stringify(report)))).toEqual([]);
    const bad = JSON.parse(JSON.stringify(report));
    bad.rows[0].gpuWork.calls = 0;
    expect(validateReport(bad)).toEqual(['$.rows[0].gpuWork.calls: 0 is below the minimum 1']);
  });

  it('restores the prototypes after the window, also when the window throws, and nests', async () => {
    const device = rt().device;
    const queueProto = Object.getPrototypeOf(device.queue) as { submit: unknown };
    const before = queueProto.submit;
    await expect(
      countGpuWork(device, async () => {
        expect(queueProto.submit).not.toBe(before);
        throw new Error('inside');
      }),
    ).rejects.toThrow('inside');
    expect(queueProto.submit).toBe(before);
    const outer = await countGpuWork(device, async () => {
      const inner = await countGpuWork(device, async () => {
        device.queue.submit([]);
      });
      expect(inner.work.submits).toBe(1);
      expect(queueProto.submit).not.toBe(before);
      device.queue.submit([]);
    });
    expect(outer.work.submits).toBe(2);
    expect(queueProto.submit).toBe(before);
  });
});

describe('the estimate of the time left', () => {
  it('scales the elapsed time by the fraction of the weighted work still to do', () => {
    const eta = new Eta([1, 3], 0);
    expect(eta.text(60_000)).toBe('');
    eta.finished(0);
    expect(eta.fraction()).toBe(0.25);
    // A quarter done in 60 s: three quarters left, 180 s.
    expect(eta.text(60_000)).toBe(' · 25%, ~3 min 00 s left');
    eta.progress(1, 1, 3);
    expect(eta.fraction()).toBe(0.5);
    expect(eta.text(100_000)).toBe(' · 50%, ~1 min 40 s left');
    eta.finished(1);
    expect(eta.text(200_000)).toBe('');
  });

  it('says nothing before 5 s or 2% of the work', () => {
    const eta = new Eta([100, 1], 0);
    eta.progress(0, 1, 100);
    expect(eta.text(4_000)).toBe('');
    expect(eta.text(60_000)).toBe('');
    eta.progress(0, 10, 100);
    expect(eta.text(60_000)).not.toBe('');
  });

  it('formats durations', () => {
    expect(fmtDuration(40_400)).toBe('40 s');
    expect(fmtDuration(125_000)).toBe('2 min 05 s');
  });
});
