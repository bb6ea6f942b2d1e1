/** A timer handle, opaque to its user: only the clock that made it can clear it. */
export type Timer = unknown;

/**
 * The time the dispatcher decides by and waits on: due times, backoff, circuit cooldowns, rate
 * limits. Injected so tests can run on virtual time; the transport's own timeouts stay on real time.
 */
export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

export const systemClock: Clock = {
  now: Date.now,
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};
