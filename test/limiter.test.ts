/**
 * The connector limiter's rules, on a controllable clock: breaker opens after N failures and probes once,
 * rate limits halve concurrency and pause, successes recover, operator pause blocks.
 */
import { describe, expect, it } from 'vitest';
import { CircuitOpenError, ConnectorLimiter } from '../src/engine/limiter.ts';

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('circuit breaker', () => {
  it('opens after the threshold of consecutive transient failures and refuses calls until the cooldown', async () => {
    const c = clock();
    const l = new ConnectorLimiter({ breakerThreshold: 3, breakerCooldownMs: 1000, now: c.now });
    for (let i = 0; i < 3; i++) {
      (await l.acquire())();
      l.onTransientFailure(false);
    }
    expect(l.breakerState).toBe(1);
    expect(l.blockedUntil(c.now())).toBe(c.now() + 1000);
    await expect(l.acquire()).rejects.toBeInstanceOf(CircuitOpenError);
    c.advance(1000);
    const probe = await l.acquire(); // half-open: exactly one probe
    expect(l.breakerState).toBe(2);
    await expect(l.acquire()).rejects.toBeInstanceOf(CircuitOpenError);
    probe();
    l.onSuccess();
    expect(l.breakerState).toBe(0);
    (await l.acquire())();
  });

  it('a failed probe reopens the breaker for twice as long', async () => {
    const c = clock();
    const l = new ConnectorLimiter({ breakerThreshold: 1, breakerCooldownMs: 1000, now: c.now });
    l.onTransientFailure(false);
    c.advance(1000);
    (await l.acquire())();
    l.onTransientFailure(false);
    expect(l.breakerState).toBe(1);
    expect(l.blockedUntil(c.now())).toBe(c.now() + 2000);
  });

  it('business answers count as alive: they reset the failure count', async () => {
    const l = new ConnectorLimiter({ breakerThreshold: 2 });
    l.onTransientFailure(false);
    l.onSuccess();
    l.onTransientFailure(false);
    expect(l.breakerState).toBe(0);
  });
});

describe('adaptive rate limiting', () => {
  it('a rate-limit answer halves the rate and concurrency and pauses; successes bring them back gradually', async () => {
    const c = clock();
    const l = new ConnectorLimiter({ concurrency: 8, now: c.now });
    for (let i = 0; i < 8; i++) (await l.acquire())(); // 8 calls within this second
    l.onTransientFailure(true);
    expect(l.adaptiveQps).toBe(4);
    expect(l.concurrency).toBe(4);
    expect(l.blockedUntil(c.now())).toBe(c.now() + 1000);
    l.onTransientFailure(true); // another answer from the same burst: no further slow-down
    expect(l.adaptiveQps).toBe(4);
    expect(l.concurrency).toBe(4);
    expect(l.breakerState).toBe(0); // rate limits never open the breaker
    for (let i = 0; i < 10; i++) l.onSuccess();
    expect(l.adaptiveQps!).toBeCloseTo(4 * 1.02 ** 10, 5);
    expect(l.concurrency).toBe(5);
    for (let i = 0; i < 400; i++) l.onSuccess();
    expect(l.adaptiveQps).toBeUndefined();
    expect(l.concurrency).toBe(8);
  });

  it('never has more calls in flight than its concurrency', async () => {
    const l = new ConnectorLimiter({ concurrency: 2 });
    let inFlight = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const release = await l.acquire();
        peak = Math.max(peak, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        release();
      }),
    );
    expect(peak).toBe(2);
  });
});

describe('operator pause', () => {
  it('blocks every call until resumed', async () => {
    const l = new ConnectorLimiter();
    l.setPaused(true);
    expect(l.blockedUntil(Date.now())).toBe(Number.POSITIVE_INFINITY);
    await expect(l.acquire()).rejects.toThrow(/paused/);
    l.setPaused(false);
    (await l.acquire())();
  });
});
