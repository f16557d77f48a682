/**
 * Promise 1 under fire: five SIGKILLs at random moments while a few thousand orders are pushed, with WDT answers
 * sometimes lost after WDT applied them. Nothing acknowledged is lost; replays are harmless upserts by tid.
 */
import { describe, expect, it } from 'vitest';
import { runKillLoop } from './chaos-harness.ts';

describe('kill -9 loop', () => {
  it('five kills during 2,000 orders: every acknowledged order is delivered', async () => {
    // Slow enough that the kills land during intake, mapping, calls and settling, not after the work is done.
    const r = await runKillLoop({
      orders: 2000,
      kills: 5,
      bodySize: 10,
      pushDelayMs: 15,
      batchSize: 10,
      faults: { trade_push: { latencyMs: 40, garbageRate: 0.02, phase: 'after' } },
    });
    expect(r.kills).toBe(5);
    expect(r.acknowledged).toBe(2000);
    expect(r.lost).toBe(0);
    expect(r.delivered).toBe(2000);
  }, 180_000);
});
