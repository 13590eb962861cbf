import { describe, expect, it } from '@jest/globals';
import { ObjectCache } from '../../lib/model/index.js';

describe('ObjectCache', () => {
  it('keeps a value per key, undefined included, and tells a stored undefined from none', () => {
    const cache = new ObjectCache<object, string | undefined>();
    const a = {};
    const b = {};
    cache.set(a, 'x').set(b, undefined);
    expect(cache.get(a)).toBe('x');
    expect(cache.has(b)).toBe(true);
    expect(cache.get(b)).toBeUndefined();
    expect(cache.has({})).toBe(false);
  });

  it('is invisible in the key: JSON, keys, spreads and equality see the object as it was', () => {
    const pods = [{ name: 'p' }];
    const labels = { app: 'web' };
    new ObjectCache<object, number>().set(pods, 1).set(labels, 2);
    expect(JSON.stringify({ pods, labels })).toBe('{"pods":[{"name":"p"}],"labels":{"app":"web"}}');
    expect(Object.keys(labels)).toEqual(['app']);
    expect(Object.getOwnPropertySymbols({ ...labels })).toEqual([]);
    expect(labels).toStrictEqual({ app: 'web' });
  });

  it('two caches on one key do not see each other', () => {
    const key = {};
    const first = new ObjectCache<object, string>().set(key, 'first');
    const second = new ObjectCache<object, string>();
    expect(second.has(key)).toBe(false);
    expect(first.get(key)).toBe('first');
  });

  it('caches frozen keys too, without writing to them', () => {
    const cache = new ObjectCache<object, string>();
    const frozen = Object.freeze({ name: 'p' });
    cache.set(frozen, 'y');
    expect(cache.get(frozen)).toBe('y');
    expect(cache.has(frozen)).toBe(true);
    expect(Object.getOwnPropertySymbols(frozen)).toEqual([]);
  });
});
