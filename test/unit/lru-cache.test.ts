import { describe, expect, it } from 'vitest';
import { LruCache } from '../../src/core/lru-cache.js';

describe('LruCache', () => {
  it('evicts the least recently used entry when full', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('counts hits and misses', () => {
    const cache = new LruCache<string, number>(4);
    cache.set('a', 1);
    cache.get('a');
    cache.get('z');
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('stores nothing with capacity 0 and rejects bad capacities', () => {
    const cache = new LruCache<string, number>(0);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
    expect(() => new LruCache(-1)).toThrow(RangeError);
  });
});
