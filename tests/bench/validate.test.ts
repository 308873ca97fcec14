/**
 * The report validator against the schema file: a well-formed report passes, and each kind of
 * defect is caught with its JSON path. The reports here are hand-made (no GPU); real runs are
 * validated in tests/bench/harness.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { analyzeRows } from '../../bench/report/analyze';
import type { BenchReport } from '../../bench/report/types';
import { REPORT_SCHEMA, validateJson, validateReport } from '../../bench/report/validate';

function report(): BenchReport {
  const { rows, ceilings } = analyzeRows([
    {
      suite: 'm',
      case: '8x8x8',
      impl: 'engine',
      unit: 'GFLOP/s',
      value: 2,
      samplesMs: [1, 1, 1, 1, 1],
      gpuSamplesMs: [0.5, 0.5, 0.5, 0.5, 0.5],
      extra: { dispatches: 3, note: 'x' },
    },
    { suite: 'm', case: '8x8x8', impl: 'naive', unit: 'GFLOP/s', value: 1, samplesMs: [2, 2, 2, 2, 2] },
  ]);
  return {
    schemaVersion: 1,
    createdAt: new Date(0).toISOString(),
    host: 'node',
    runtime: 'Node v20 (Dawn, npm webgpu)',
    adapter: {
      kind: 'other',
      vendor: 'v',
      architecture: 'a',
      device: '',
      description: 'd',
      isFallbackAdapter: true,
      host: 'node',
      features: ['timestamp-query'],
    },
    timestampQuery: true,
    options: { suites: ['m'], samples: 5, tiny: true },
    ceilings,
    rows,
    errors: [{ suite: 'x', message: 'failed' }],
    durationMs: 12,
  };
}

/** A copy of the report with one change made through `edit`. */
function edited(edit: (r: Record<string, unknown> & { rows: Record<string, unknown>[] }) => void): unknown {
  const r = JSON.parse(JSON.stringify(report()));
  edit(r);
  return r;
}

describe('report validation (bench/report/schema.json)', () => {
  it('accepts a well-formed report, also after a JSON round trip', () => {
    expect(validateReport(report())).toEqual([]);
    expect(validateReport(JSON.parse(JSON.stringify(report())))).toEqual([]);
  });

  it('reports each defect with its path', () => {
    expect(validateReport(edited((r) => delete r.adapter))).toEqual(['$: missing required property "adapter"']);
    expect(validateReport(edited((r) => (r.host = 'phone')))).toEqual(['$.host: "phone" is not one of ["node","browser"]']);
    expect(validateReport(edited((r) => (r.rows[0].value = 'fast')))).toEqual(['$.rows[0].value: expected number, got string']);
    expect(validateReport(edited((r) => (r.rows[1].samplesMs = [])))).toEqual(['$.rows[1].samplesMs: fewer than 1 items']);
    expect(validateReport(edited((r) => (r.rows[0].bogus = 1)))).toEqual(['$.rows[0].bogus: unexpected property']);
    expect(validateReport(edited((r) => (r.options = { suites: ['m'], samples: 3, tiny: false })))).toEqual(['$.options.samples: 3 is below the minimum 5']);
    expect(validateReport(edited((r) => (r.createdAt = 'yesterday')))).toEqual(['$.createdAt: "yesterday" does not match ^\\d{4}-\\d{2}-\\d{2}T']);
    expect(validateReport(edited((r) => ((r.rows[0].extra as Record<string, unknown>).flag = true)))).toEqual([
      '$.rows[0].extra.flag: expected number or string, got boolean',
    ]);
    expect(validateReport(edited((r) => ((r.rows[0].figure as Record<string, unknown>).median = 0)))).toEqual(['$.rows[0].figure.median: 0 is not above 0']);
    // NaN becomes null in JSON: a broken figure cannot slip through as a number.
    expect(validateReport(JSON.parse(JSON.stringify(edited((r) => (r.durationMs = NaN)))))).toEqual(['$.durationMs: expected number, got null']);
  });

  it('treats a property holding undefined as absent, as JSON does', () => {
    expect(validateReport(edited((r) => (r.rows[1].extra = undefined)))).toEqual([]);
    expect(validateReport(edited((r) => (r.runtime = undefined)))).toEqual(['$: missing required property "runtime"']);
  });

  it('refuses a schema keyword it does not implement rather than ignoring it', () => {
    expect(() => validateJson({ type: 'string', maxLength: 3 }, 'abcd')).toThrow(/maxLength/);
    expect(() => validateJson({ $ref: '#/$defs/missing' }, 1)).toThrow(/unresolvable/);
  });

  it('the schema documents every top-level field of the report', () => {
    const props = Object.keys((REPORT_SCHEMA.properties ?? {}) as object).sort();
    expect(props).toEqual(Object.keys(report()).sort());
  });
});
