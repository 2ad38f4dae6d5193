/**
 * Adds a batch of counts (key → requests) to the shared table for windows of `windowMs` and answers
 * each key's window as the table now has it. store/rate-limits.ts's countRequests, bound to the
 * app's database in app.ts: this file keeps the counts in memory and holds no SQL.
 */
export type AddCounts = (
  counts: ReadonlyMap<string, number>,
  now: Date,
  windowMs: number,
) => Promise<Array<{ key: string; count: number; windowStart: Date }>>;

/** How often counts held in memory are added to the shared table. */
export const FLUSH_EVERY_MS = 250;
/** Share of a limit one process may admit on its own before it waits for the table's count. */
export const SLACK = 0.03;

interface Entry {
  windowMs: number;
  /** When this process's view of the window ends (the table's window, once flushed). */
  windowStart: number;
  /** The table's count at the last flush, every process's requests included. */
  shared: number;
  /** Requests counted here and not yet in the table. */
  pending: number;
  /** Requests that wait for the next flush to learn their place in the window. */
  waiters: Array<(current: number, windowStart: number) => void>;
}

export interface Counted {
  current: number;
  windowStart: number;
}

/**
 * Request counts per key, held in memory and added to the `rate_limits` table in batches (one
 * statement per window length every FLUSH_EVERY_MS), so that every process on one database counts
 * together without a statement per request. A process admits up to SLACK × limit requests of a key
 * on its own view; past that a request waits for the next flush and is placed by the table's count.
 * So N processes together admit at most limit + (N − 1) × SLACK × limit in a window (a burst), and a
 * process that crashes loses what it had not flushed: at most one flush interval of its requests.
 */
export class RateLimitCounter {
  private readonly entries = new Map<string, Entry>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private flushAgain = false;

  constructor(
    private readonly addCounts: AddCounts,
    private readonly clock: () => Date,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Counts one request of `key`; resolves with the window's count as this process knows it. */
  count(key: string, windowMs: number, max: number): Promise<Counted> | Counted {
    const now = this.clock().getTime();
    let entry = this.entries.get(key);
    if (!entry || now >= entry.windowStart + entry.windowMs) {
      entry = { windowMs, windowStart: now, shared: 0, pending: entry?.pending ?? 0, waiters: entry?.waiters ?? [] };
      this.entries.set(key, entry);
    }
    entry.pending++;
    this.schedule();
    const e = entry;
    if (e.pending <= Math.floor(max * SLACK)) return { current: e.shared + e.pending, windowStart: e.windowStart };
    return new Promise((resolve) => {
      e.waiters.push((current, windowStart) => resolve({ current, windowStart }));
      void this.flush();
    });
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, FLUSH_EVERY_MS).unref();
  }

  /** Adds every pending count to the table; one flush at a time, and one more if asked meanwhile. */
  flush(): Promise<void> {
    if (this.flushing) {
      this.flushAgain = true;
      return this.flushing;
    }
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = undefined;
      if (this.flushAgain) {
        this.flushAgain = false;
        void this.flush();
      }
    });
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const batches = new Map<number, Map<string, { entry: Entry; n: number; waiters: Entry['waiters'] }>>();
    for (const [key, entry] of this.entries) {
      if (entry.pending === 0) continue;
      const batch = batches.get(entry.windowMs) ?? new Map();
      batches.set(entry.windowMs, batch);
      batch.set(key, { entry, n: entry.pending, waiters: entry.waiters });
      entry.pending = 0;
      entry.waiters = [];
    }
    const now = this.clock();
    for (const [windowMs, batch] of batches) {
      try {
        const rows = await this.addCounts(new Map([...batch].map(([key, b]) => [key, b.n])), now, windowMs);
        for (const row of rows) {
          const b = batch.get(row.key)!;
          b.entry.shared = row.count;
          b.entry.windowStart = row.windowStart.getTime();
          // the waiters were the last of the batch's requests: each takes its place in the table's count
          for (const [i, resolve] of b.waiters.entries())
            resolve(row.count - b.waiters.length + 1 + i, b.entry.windowStart);
        }
      } catch (err) {
        this.onError(err);
        // not lost: counted again at the next flush; meanwhile the waiters are placed on this process's view
        for (const b of batch.values()) {
          b.entry.pending += b.n;
          for (const [i, resolve] of b.waiters.entries()) {
            resolve(b.entry.shared + b.n - b.waiters.length + 1 + i, b.entry.windowStart);
          }
        }
      }
    }
    // windows over and fully flushed are dropped, so that memory holds only live keys
    const at = this.clock().getTime();
    for (const [key, entry] of this.entries) {
      if (entry.pending === 0 && at >= entry.windowStart + entry.windowMs) this.entries.delete(key);
    }
  }

  /** Flushes what is left and stops the timer (the app is closing). */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
    while (this.flushing) await this.flushing;
  }
}
