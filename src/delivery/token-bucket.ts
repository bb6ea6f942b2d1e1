import { systemClock, type Clock } from './clock.js';

/** A rate limit of `perSecond` with a burst of the same size. */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(private readonly perSecond: number, private readonly clock: Pick<Clock, 'now'> = systemClock) {
    this.tokens = Math.max(1, perSecond);
    this.updatedAt = clock.now();
  }

  private refill(): void {
    const t = this.clock.now();
    this.tokens = Math.min(Math.max(1, this.perSecond), this.tokens + ((t - this.updatedAt) / 1000) * this.perSecond);
    this.updatedAt = t;
  }

  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  take(count = 1): void {
    this.refill();
    this.tokens -= count;
  }

  /** Milliseconds until one token is available. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}
