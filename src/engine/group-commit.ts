/**
 * Group commit for intake: concurrent pushes arriving in the same event-loop turn are committed in one store
 * transaction (one fsync), and each push is answered only after that commit. This is what lets intake be both
 * durable-before-acknowledged and fast.
 */
import type { IntakeItem, IntakeResult, Store } from '../store/types.ts';
import type { EngineEvents } from './events.ts';

interface Waiter {
  items: IntakeItem[];
  resolve: (r: IntakeResult[]) => void;
  reject: (e: unknown) => void;
}

export class GroupCommitter {
  private waiting: Waiter[] = [];
  private scheduled = false;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    /** Told when records were accepted, per scheme (upstream triggers). */
    private readonly events?: EngineEvents,
    /** Upper bound of items per transaction, so one huge turn does not hold the write lock for long. */
    private readonly maxItems = 5000,
  ) {}

  submit(items: IntakeItem[]): Promise<IntakeResult[]> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.flushing = this.flush();
        });
      }
    });
  }

  /** Resolves when everything submitted so far is committed (used on shutdown). */
  async drain(): Promise<void> {
    while (this.scheduled || this.waiting.length) {
      await new Promise((r) => setImmediate(r));
      await this.flushing;
    }
  }

  private async flush(): Promise<void> {
    while (this.waiting.length) {
      const group: Waiter[] = [];
      let n = 0;
      while (this.waiting.length && (n === 0 || n + this.waiting[0].items.length <= this.maxItems)) {
        const w = this.waiting.shift()!;
        group.push(w);
        n += w.items.length;
      }
      try {
        const items = group.flatMap((w) => w.items);
        const results = await this.store.intake(items);
        if (this.events) {
          const accepted = new Map<string, number>();
          results.forEach((r, i) => {
            if (r.outcome === 'accepted') accepted.set(items[i].schemeId, (accepted.get(items[i].schemeId) ?? 0) + 1);
          });
          for (const [id, n] of accepted) this.events.emit('stored', id, n);
        }
        let at = 0;
        for (const w of group) {
          w.resolve(results.slice(at, at + w.items.length));
          at += w.items.length;
        }
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    this.scheduled = false;
  }
}
