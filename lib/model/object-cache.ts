// What checks derive from facts (a label index per pod list, a Service's backend pods per facts
// view) is cached on the key object itself, under a symbol of the cache's own, rather than in a
// WeakMap. A long-lived WeakMap keyed by short-lived objects is an ephemeron table in old space:
// V8's young-generation collector keeps every value it holds alive, so a sweep's 10,000 facts
// views and 200 namespaces' pods outlived their namespace, were promoted and waited for a full
// collection (measured in bench/sweep.ts: a fifth of the sweep's scavenge time). A value stored on
// its key dies with it. The symbol is not enumerable: JSON, structuredClone, Object.keys and
// equality in tests do not see it. Frozen keys (tests freeze facts to prove checks never write)
// fall back to a WeakMap.

export class ObjectCache<K extends object, V> {
  private readonly slot = Symbol('netcheck cache');
  private readonly frozen = new WeakMap<K, V>();

  has(key: K): boolean {
    return Object.prototype.hasOwnProperty.call(key, this.slot) || this.frozen.has(key);
  }

  get(key: K): V | undefined {
    return Object.prototype.hasOwnProperty.call(key, this.slot) ? (key as Record<symbol, V>)[this.slot] : this.frozen.get(key);
  }

  set(key: K, value: V): this {
    if (Object.isExtensible(key)) Object.defineProperty(key, this.slot, { value, writable: true, configurable: true, enumerable: false });
    else this.frozen.set(key, value);
    return this;
  }
}
