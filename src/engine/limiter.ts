/**
 * Per-connector call limits: a token bucket (calls per second) and a cap on calls in flight, shared by every
 * scheme that writes through the connector. Behind an interface so a cluster can swap in a shared limiter.
 */
export interface CallLimiter {
  /** Waits for a slot; call the returned function when the call is over. */
  acquire(): Promise<() => void>;
}

export class LocalLimiter implements CallLimiter {
  private inFlight = 0;
  private readonly waiters: Array<() => void> = [];
  private tokens: number;
  private last = Date.now();

  constructor(
    private readonly concurrency = 4,
    private readonly qps?: number,
  ) {
    this.tokens = qps ?? 0;
  }

  async acquire(): Promise<() => void> {
    while (this.inFlight >= this.concurrency) await new Promise<void>((r) => this.waiters.push(r));
    this.inFlight++;
    if (this.qps) await this.takeToken();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      this.waiters.shift()?.();
    };
  }

  private async takeToken(): Promise<void> {
    const qps = this.qps!;
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(qps, this.tokens + ((now - this.last) / 1000) * qps);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.ceil(((1 - this.tokens) / qps) * 1000)));
    }
  }
}
