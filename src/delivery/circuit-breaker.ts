import { systemClock, type Clock } from './clock.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitOptions {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** First pause; each failed probe doubles it, up to `maxCooldownMs`. */
  cooldownMs: number;
  maxCooldownMs: number;
}

export const DEFAULT_CIRCUIT: CircuitOptions = { threshold: 5, cooldownMs: 30_000, maxCooldownMs: 10 * 60_000 };

/** Per destination: after repeated failures, stop sending and probe with one delivery now and then. */
export class CircuitBreaker {
  private failures = 0;
  private cooldown: number;
  private openUntil = 0;
  private probing = false;

  constructor(private readonly options: CircuitOptions = DEFAULT_CIRCUIT, private readonly clock: Pick<Clock, 'now'> = systemClock) {
    this.cooldown = options.cooldownMs;
  }

  get state(): CircuitState {
    if (this.failures < this.options.threshold) return 'closed';
    return this.clock.now() >= this.openUntil ? 'half_open' : 'open';
  }

  /** How many deliveries may start now: none while open, one probe when half-open. */
  allowance(wanted: number): number {
    const state = this.state;
    if (state === 'closed') return wanted;
    if (state === 'half_open' && !this.probing) {
      this.probing = true;
      return Math.min(1, wanted);
    }
    return 0;
  }

  /** The probe allowed found nothing to send: allow another later. */
  cancelProbe(): void {
    this.probing = false;
  }

  reopensAt(): number {
    return this.openUntil;
  }

  /** Another daemon sharing the store opened its circuit: this one stays open as long, then probes. */
  adoptOpen(until: number): void {
    if (until <= this.openUntil) return;
    this.failures = Math.max(this.failures, this.options.threshold);
    this.openUntil = until;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.cooldown = this.options.cooldownMs;
  }

  failure(): void {
    const wasProbe = this.probing;
    this.probing = false;
    this.failures++;
    if (this.failures >= this.options.threshold) {
      if (wasProbe) this.cooldown = Math.min(this.cooldown * 2, this.options.maxCooldownMs);
      this.openUntil = this.clock.now() + this.cooldown;
    }
  }
}
