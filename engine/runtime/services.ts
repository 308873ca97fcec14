/**
 * Services: state that exists once per runtime (a status buffer, a cache of constant tensors, the
 * tuner) and lives and dies with it. A module asks the runtime for its service with
 * `rt.service(KEY, factory)`; the runtime creates it on first use and calls its `dispose()` when
 * the runtime is disposed. Keys are objects made by {@link serviceKey}, typed with what they hold,
 * so two modules cannot collide on a name and the service's type follows the key.
 *
 * A lost device does not dispose the services, as it does not free the runtime's buffers: their
 * state stays readable (e.g. the tuner's choices) until the runtime is disposed, and every call
 * that needs the device throws the loss.
 */
import { DeviceLostError, EngineError } from './errors';

/** Identifies one kind of service; `T` is what the runtime holds for it. Make one with {@link serviceKey}. */
export interface ServiceKey<T> {
  /** For messages only: two keys with the same name are still two services. */
  readonly name: string;
  /** Never set: carries `T` through the type system. */
  readonly __service?: (value: T) => T;
}

/** A new service key. Keep it in a module-level constant: the object, not the name, identifies the service. */
export function serviceKey<T>(name: string): ServiceKey<T> {
  return Object.freeze({ name });
}

/** What a service may implement: `dispose()` runs once, when its runtime is disposed. */
interface MaybeDisposable {
  dispose?: () => void;
}

/** @internal The runtime's services, in creation order. */
export class ServiceRegistry {
  private readonly byKey = new Map<object, { key: { readonly name: string }; value: unknown }>();
  private readonly creating = new Set<object>();
  private closed = false;

  /** The service of `key`, created by `create()` when there is none yet. */
  get<T>(key: ServiceKey<T>, create: () => T): T {
    const had = this.byKey.get(key);
    if (had) return had.value as T;
    if (this.creating.has(key)) throw new EngineError('SERVICE_CYCLE', `service "${key.name}": its factory asked for the service itself`);
    this.creating.add(key);
    let value: T;
    try {
      value = create();
    } finally {
      this.creating.delete(key);
    }
    // A factory that disposed the runtime (or threw) leaves nothing behind.
    if (this.closed) {
      disposeService(key, value);
      throw new DeviceLostError('destroyed', `the runtime was destroyed while its service "${key.name}" was being created`);
    }
    this.byKey.set(key, { key, value });
    return value;
  }

  /** The service of `key` if it was created (and the runtime not disposed), else undefined. */
  find<T>(key: ServiceKey<T>): T | undefined {
    return this.byKey.get(key)?.value as T | undefined;
  }

  /**
   * Disposes every service, the last created first (a service may use one created before it), and
   * forgets them. Every service is disposed even if one throws; the first error is thrown after.
   */
  disposeAll(): void {
    this.closed = true;
    const entries = [...this.byKey.values()].reverse();
    this.byKey.clear();
    let first: unknown;
    for (const { key, value } of entries) {
      try {
        disposeService(key, value);
      } catch (e) {
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }
}

function disposeService(key: { readonly name: string }, value: unknown): void {
  const d = (value as MaybeDisposable | null)?.dispose;
  if (d === undefined) return;
  if (typeof d !== 'function') throw new EngineError('BAD_SERVICE', `service "${key.name}": dispose is not a function`);
  d.call(value);
}
