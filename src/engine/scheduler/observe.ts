/**
 * Upstream triggering (上游触发方案) needs to know when any scheme stored new records (pushed or polled) or
 * delivered some. Every intake and settlement goes through the Store, so the scheduler observes the store
 * instance itself instead of asking every caller to report.
 */
import { RecordStatus, type Store } from '../../store/types.ts';

export interface StoreEvents {
  /** Records were accepted (new, or replaced to be sent again) into a scheme. */
  stored(schemeId: string, n: number): void;
  /** Records of a scheme were delivered (status done). */
  done(schemeId: string, n: number): void;
}

/** Wraps `store.intake` and `store.settle` of this instance; returns the function that unwraps them. */
export function observeStore(store: Store, events: StoreEvents): () => void {
  const intake = store.intake;
  const settle = store.settle;
  store.intake = async function (this: Store, items) {
    const results = await intake.call(store, items);
    const counts = new Map<string, number>();
    results.forEach((r, i) => {
      if (r.outcome === 'accepted') counts.set(items[i].schemeId, (counts.get(items[i].schemeId) ?? 0) + 1);
    });
    for (const [id, n] of counts) events.stored(id, n);
    return results;
  };
  store.settle = async function (this: Store, calls, settlements, now) {
    await settle.call(store, calls, settlements, now);
    if (!settlements.length) return;
    // Settlements carry record ids, not schemes; the calls of the same batch name the scheme.
    const scheme = calls[0]?.schemeId;
    const done = settlements.filter((s) => s.status === RecordStatus.done).length;
    if (scheme && done) events.done(scheme, done);
  };
  return () => {
    store.intake = intake;
    store.settle = settle;
  };
}
