/**
 * A bounded in-memory map whose entries expire: what a cache kept in Deps is made of. Past `capacity`
 * the oldest entry goes (a Map iterates in insertion order, and a refreshed entry is re-inserted).
 */
export class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    readonly lifetimeMs: number,
    readonly capacity: number,
  ) {}

  /** The value stored under key, unless it has expired by `now` (ms). */
  get(key: string, now: number): V | undefined {
    const entry = this.entries.get(key);
    return entry && entry.until > now ? entry.value : undefined;
  }

  set(key: string, value: V, now: number): void {
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!);
    this.entries.delete(key); // re-inserted at the end: the Map's order is the order of age
    this.entries.set(key, { value, until: now + this.lifetimeMs });
  }
}
