/**
 * Per-connector call control, shared by every scheme that writes through the connector:
 * - a token bucket (calls per second) and a cap on calls in flight;
 * - adaptive slow-down (AIMD): a rate-limit answer halves the call rate and the concurrency and pauses calls
 *   for a second; each success raises the rate by 2 %, so the connector settles just under the target's limit;
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
  /** The target answered (any business answer counts: it is alive). True when this closed an open breaker. */
  onSuccess(): boolean;
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
  /** Calls per second learned from rate-limit answers; undefined = no learned cap. */
  adaptiveQps?: number;
  /** Start times of recent calls, to know the rate we were going at when told to slow down. */
  private readonly recent: number[] = [];
  private successes = 0;
  private readonly now: () => number;

  constructor(private readonly o: LimiterOptions = {}) {
    this.now = o.now ?? Date.now;
    this.maxConcurrency = o.concurrency ?? 4;
    this.concurrency = this.maxConcurrency;
    // A bucket of one token: calls are spaced 1/qps apart, so no one-second window ever sees more than qps
    // (a bucket of qps tokens would allow a burst of 2 × qps across a second boundary).
    this.tokens = o.qps ? 1 : 0;
    this.lastRefill = this.now();
    this.cooldownMs = o.breakerCooldownMs ?? 10_000;
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
    const qps = Math.min(this.o.qps ?? Infinity, this.adaptiveQps ?? Infinity);
    if (qps !== Infinity) await this.takeToken(qps);
    this.recent.push(this.now());
    if (this.recent.length > 256) this.recent.splice(0, this.recent.length - 256);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.waiters.shift()?.();
    };
  }

  onSuccess(): boolean {
    this.failures = 0;
    const recovered = this.breakerState !== 0;
    if (recovered) {
      this.breakerState = 0;
      this.cooldownMs = this.o.breakerCooldownMs ?? 10_000;
    }
    this.probing = false;
    if (this.adaptiveQps !== undefined) {
      this.adaptiveQps *= 1.02;
      // Far above anything we were told to respect: drop the learned cap.
      if (this.adaptiveQps > 1000 || (this.o.qps && this.adaptiveQps >= this.o.qps)) this.adaptiveQps = undefined;
    }
    if (this.concurrency < this.maxConcurrency && ++this.successes >= 10) {
      this.successes = 0;
      this.concurrency++;
      this.wakeWaiters();
    }
    return recovered;
  }

  onTransientFailure(rateLimited: boolean): void {
    const now = this.now();
    if (rateLimited) {
      this.probing = false;
      this.successes = 0;
      // Answers to calls that were already in flight when the first rate-limit answer came back say nothing
      // new: slow down once per pause, not once per answer.
      if (now < this.slowUntil) return;
      const rate = this.recent.filter((t) => t > now - 1000).length;
      this.adaptiveQps = Math.max(0.2, Math.min(this.adaptiveQps ?? rate, rate || 1) / 2);
      this.slowUntil = now + 1000;
      this.concurrency = Math.max(1, Math.floor(this.concurrency / 2));
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
      this.tokens = Math.min(1, this.tokens + ((now - this.lastRefill) / 1000) * qps);
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
