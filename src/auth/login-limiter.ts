/**
 * Sign-in rate limit, in memory: failed attempts per (address, user name) and per address in a sliding window.
 * Over the limit, sign-in answers 429 with Retry-After, even with the right password, until the window passes.
 * A success clears that (address, user name) pair.
 */
export interface LoginLimits {
  windowMs: number;
  /** Failures allowed per address + user name. */
  perUser: number;
  /** Failures allowed per address (any user names): stops guessing across many names. */
  perAddress: number;
}

export const DEFAULT_LOGIN_LIMITS: LoginLimits = { windowMs: 15 * 60_000, perUser: 5, perAddress: 20 };

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {}

  /** Seconds to wait before another attempt is allowed, or 0. */
  retryAfter(ip: string, username: string, now = Date.now()): number {
    const wait = (key: string, max: number) => {
      const list = this.recent(key, now);
      return list.length >= max ? Math.ceil((list[0]! + this.limits.windowMs - now) / 1000) : 0;
    };
    return Math.max(wait(userKey(ip, username), this.limits.perUser), wait(ip, this.limits.perAddress));
  }

  fail(ip: string, username: string, now = Date.now()): void {
    for (const key of [userKey(ip, username), ip]) {
      const list = this.recent(key, now);
      list.push(now);
      this.failures.set(key, list);
    }
    if (this.failures.size > 100_000) this.sweep(now);
  }

  succeed(ip: string, username: string): void {
    this.failures.delete(userKey(ip, username));
  }

  private recent(key: string, now: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => t > now - this.limits.windowMs);
  }

  private sweep(now: number): void {
    for (const [k, list] of this.failures) if (!list.some((t) => t > now - this.limits.windowMs)) this.failures.delete(k);
  }
}

const userKey = (ip: string, username: string) => `${ip}\u0000${username.toLowerCase()}`;
