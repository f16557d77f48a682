/**
 * Per-connector call control, shared by every scheme that writes through the connector:
 * - a token bucket (calls per second) and a cap on calls in flight;
 * - adaptive slow-down: a rate-limit answer halves the concurrency and pauses calls (1 s, doubling to 60 s);
 *   successes recover gradually;
 * - a circuit breaker: after N consecutive transient failures the connector is "open" (no calls) for a cool-down,
 *   then one probe call decides whether it closes again;
 * - an operator pause.
 * Behind the CallLimiter interface so a cluster can swap in a limiter shared between nodes.
 */
import { TransientError } from '../errors.ts';

/** The connector is not taking calls now (breaker open, paused, or probing); try again at `retryAt`. */
export class CircuitOpenError extends TransientError {
  constructor(
    message: string,
    readonly retryAt: number,
  ) {
    super(message);
  }
}

export interface CallLimiter {
  /** Waits for a slot (or throws CircuitOpenError); call the returned function when the call is over. */
  acquire(): Promise<() => void>;
  /** The target answered (any business answer counts: it is alive). */
  onSuccess(): void;
  /** Transport failure, 5xx, timeout; `rateLimited` when the target asked us to slow down. */
  onTransientFailure(rateLimited: boolean): void;
  /** When calls may go again (ms epoch); ≤ now when open for business. */
  blockedUntil(now: number): number;
  setPaused(paused: boolean): void;
  readonly paused: boolean;
  /** 0 closed, 1 open, 2 half-open (probing). */
  readonly breakerState: 0 | 1 | 2;
}

export interface LimiterOptions {
  concurrency?: number;
  qps?: number;
  /** Consecutive transient failures that open the breaker. */
  breakerThreshold?: number;
  breakerCooldownMs?: number;
  breakerMaxCooldownMs?: number;
  now?: () => number;
}

export class ConnectorLimiter implements CallLimiter {
  paused = false;
  breakerState: 0 | 1 | 2 = 0;
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  private tokens: number;
  private lastRefill: number;
  private readonly maxConcurrency: number;
  /** Current concurrency: lowered on rate limits, raised back by successes. */
  concurrency: number;
  private failures = 0;
  private openUntil = 0;
  private cooldownMs: number;
  private probing = false;
  private slowUntil = 0;
  private slowMs = 0;
  private successes = 0;
  private readonly now: () => number;

  constructor(private readonly o: LimiterOptions = {}) {
    this.now = o.now ?? Date.now;
    this.maxConcurrency = o.concurrency ?? 4;
    this.concurrency = this.maxConcurrency;
    this.tokens = o.qps ?? 0;
    this.lastRefill = this.now();
    this.cooldownMs = o.breakerCooldownMs ?? 30_000;
  }

  blockedUntil(now: number): number {
    if (this.paused) return Number.POSITIVE_INFINITY;
    if (this.breakerState === 1) return this.openUntil;
    return this.slowUntil;
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  async acquire(): Promise<() => void> {
    const now = this.now();
    if (this.paused) throw new CircuitOpenError('connector paused by an operator', now + 5000);
    if (this.breakerState === 1) {
      if (now < this.openUntil) throw new CircuitOpenError('connector circuit open after repeated failures', this.openUntil);
      this.breakerState = 2;
    }
    if (this.breakerState === 2) {
      if (this.probing) throw new CircuitOpenError('connector circuit half-open: waiting for the probe call', now + 1000);
      this.probing = true;
    }
    if (this.slowUntil > now) await sleep(this.slowUntil - now);
    while (this.inFlight >= this.concurrency) await new Promise<void>((r) => this.waiters.push(r));
    this.inFlight++;
    if (this.o.qps) await this.takeToken(this.o.qps);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.waiters.shift()?.();
    };
  }

  onSuccess(): void {
    this.failures = 0;
    if (this.breakerState !== 0) {
      this.breakerState = 0;
      this.cooldownMs = this.o.breakerCooldownMs ?? 30_000;
    }
    this.probing = false;
    // Recover gradually from a rate limit: every 20 successes halve the pause and allow one more call in flight.
    if (this.slowMs > 0 || this.concurrency < this.maxConcurrency) {
      if (++this.successes >= 20) {
        this.successes = 0;
        this.slowMs = this.slowMs >= 1000 ? Math.floor(this.slowMs / 2) : 0;
        this.concurrency = Math.min(this.maxConcurrency, this.concurrency + 1);
        this.wakeWaiters();
      }
    }
  }

  onTransientFailure(rateLimited: boolean): void {
    const now = this.now();
    if (rateLimited) {
      this.slowMs = Math.min(60_000, Math.max(1000, this.slowMs * 2));
      this.slowUntil = now + this.slowMs;
      this.concurrency = Math.max(1, Math.floor(this.concurrency / 2));
      this.successes = 0;
      this.probing = false;
      return;
    }
    this.failures++;
    if (this.breakerState === 2) {
      // The probe failed: stay open, longer.
      this.cooldownMs = Math.min(this.o.breakerMaxCooldownMs ?? 300_000, this.cooldownMs * 2);
      this.open(now);
    } else if (this.failures >= (this.o.breakerThreshold ?? 5)) this.open(now);
    this.probing = false;
  }

  private open(now: number): void {
    this.breakerState = 1;
    this.openUntil = now + this.cooldownMs;
  }

  private wakeWaiters(): void {
    let free = this.concurrency - this.inFlight;
    while (free-- > 0 && this.waiters.length) this.waiters.shift()!();
  }

  private async takeToken(qps: number): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(qps, this.tokens + ((now - this.lastRefill) / 1000) * qps);
      this.lastRefill = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) / qps) * 1000));
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
