/**
 * A bounded least-recently-used map. JavaScript Maps iterate in insertion order, so re-inserting on every
 * hit keeps the oldest entry first and eviction is O(1).
 */
export class LruCache<K, V> {
  readonly capacity: number;
  private readonly map = new Map<K, V>();
  hits = 0;
  misses = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`LruCache: capacity must be a non-negative integer, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.map.size;
  }

  /** The value for `key`, marking it most recently used; undefined on a miss. */
  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  /** Stores `value`, evicting the least recently used entry when full. */
  set(key: K, value: V): void {
    if (this.capacity === 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.capacity) this.map.delete(this.map.keys().next().value as K);
  }
}
