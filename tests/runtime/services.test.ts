/**
 * Services (engine/runtime/services.ts): state a runtime owns, one instance per runtime and key,
 * made on first use and disposed with the runtime. Checked against counters of the factories and
 * disposals, and for the engine's own services (the label status of softmaxCrossEntropy, the
 * autograd seeds) against the runtime's count of live tensors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DeviceLostError, EngineError, LabelRangeError, Runtime, serviceKey, type ServiceKey } from '../../engine/index';
import { autogradCache } from '../../engine/autograd/grads';
import { backward, variable } from '../../engine/autograd/tape';
import { sum } from '../../engine/autograd/functional';
import { labelStatusTensor, softmaxCrossEntropy } from '../../engine/ops/softmax-xent';
import { useRuntime } from '../helpers/gpu';

/** A service that counts its disposals into `log`. */
class Counter {
  static made = 0;
  disposed = 0;
  constructor(
    readonly rt: Runtime,
    private readonly log: string[] = [],
    private readonly name = '',
  ) {
    Counter.made++;
  }
  dispose(): void {
    this.disposed++;
    this.log.push(this.name);
  }
}

describe('runtime services', () => {
  const shared = useRuntime();
  const extra: Runtime[] = [];
  afterEach(() => {
    for (const r of extra.splice(0)) r.destroy();
  });
  const fresh = async (): Promise<Runtime> => {
    const r = await Runtime.create();
    extra.push(r);
    return r;
  };

  it('makes a service once per runtime and key; two runtimes get two instances', async () => {
    const KEY = serviceKey<Counter>('counter');
    const before = Counter.made;
    const a = shared().service(KEY, (rt) => new Counter(rt));
    expect(shared().service(KEY, () => new Counter(shared()))).toBe(a);
    expect(a.rt).toBe(shared());
    expect(shared().findService(KEY)).toBe(a);
    const other = await fresh();
    expect(other.findService(KEY)).toBeUndefined();
    const b = other.service(KEY, (rt) => new Counter(rt));
    expect(b).not.toBe(a);
    expect(b.rt).toBe(other);
    expect(Counter.made - before).toBe(2);
    // Keys are objects: another key of the same name is another service.
    const SAME_NAME: ServiceKey<Counter> = serviceKey<Counter>('counter');
    expect(shared().service(SAME_NAME, (rt) => new Counter(rt))).not.toBe(a);
    expect(Counter.made - before).toBe(3);
  });

  it('dispose() of the runtime disposes its services, the last made first, and later calls are refused', async () => {
    const r = await fresh();
    const log: string[] = [];
    const FIRST = serviceKey<Counter>('first');
    const SECOND = serviceKey<Counter>('second');
    const PLAIN = serviceKey<{ n: number }>('plain');
    const first = r.service(FIRST, (rt) => new Counter(rt, log, 'first'));
    const second = r.service(SECOND, (rt) => new Counter(rt, log, 'second'));
    r.service(PLAIN, () => ({ n: 1 }));
    r.dispose();
    expect([first.disposed, second.disposed]).toEqual([1, 1]);
    expect(log).toEqual(['second', 'first']);
    expect(r.findService(FIRST)).toBeUndefined();
    expect(() => r.service(FIRST, (rt) => new Counter(rt))).toThrow(DeviceLostError);
    // A second dispose disposes nothing again.
    r.dispose();
    expect(log).toEqual(['second', 'first']);
  });

  it('a dispose that throws still lets the others run and the runtime go; its error comes after', async () => {
    const r = await fresh();
    const log: string[] = [];
    const OK = serviceKey<Counter>('ok');
    const BAD = serviceKey<{ dispose(): void }>('bad');
    r.service(OK, (rt) => new Counter(rt, log, 'ok'));
    r.service(BAD, () => ({
      dispose() {
        throw new Error('dispose failed');
      },
    }));
    expect(() => r.dispose()).toThrow('dispose failed');
    expect(log).toEqual(['ok']);
    expect(() => r.empty([4])).toThrow(DeviceLostError);
  });

  it('refuses a factory that asks for its own service, and a missing factory', async () => {
    const r = await fresh();
    const LOOP: ServiceKey<number> = serviceKey<number>('loop');
    const err = (() => {
      try {
        r.service(LOOP, (rt) => rt.service(LOOP, () => 1) + 1);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('SERVICE_CYCLE');
    expect(r.findService(LOOP)).toBeUndefined();
    expect(r.service(LOOP, () => 5)).toBe(5);
    expect(() => r.service(serviceKey<number>('none'), undefined as never)).toThrow(/expected a factory function/);
  });

  it("the label status and the autograd seeds are the runtime's: each runtime reports its own bad labels, and dispose frees both", async () => {
    const r = await fresh();
    const logits = r.tensor(new Float32Array(12), [4, 3]);
    const bad = r.tensor([0, 2, 5, 1], [4], 'u32');
    const loss = softmaxCrossEntropy(logits, bad);
    // The bad label is reported by the next readback on its runtime, not on the other one.
    const elsewhere = shared().tensor([1, 2]);
    await expect(elsewhere.toArray()).resolves.toEqual(new Float32Array([1, 2]));
    elsewhere.dispose();
    const err = await loss.toArray().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LabelRangeError);
    expect([(err as LabelRangeError).row, (err as LabelRangeError).label]).toEqual([2, 5]);
    expect(labelStatusTensor(shared())).toBeNull();
    // One backward pass caches one seed.
    const xData = r.tensor([1, 2, 3]);
    const x = variable(xData);
    const s = sum(x);
    backward(s);
    expect(autogradCache(r).tensors).toBe(1);
    for (const t of [loss, bad, logits, s, x, xData]) t.dispose();
    // What is left: the label status buffer and the seed, both services of the runtime.
    expect(labelStatusTensor(r)).not.toBeNull();
    expect(r.memoryStats().liveTensors).toBe(2);
    r.dispose();
    expect(r.memoryStats().liveTensors).toBe(0);
    expect(labelStatusTensor(r)).toBeNull();
    expect(autogradCache(r)).toEqual({ tensors: 0, bytes: 0 });
  });
});
