import type { Clock } from '../../src/delivery/clock.js';

/**
 * Virtual time for the dispatcher: it moves only when a test moves it, and firing a timer takes
 * no real time. It starts at the real time, so deliveries the store stamps with it are due at once.
 */
export class ManualClock implements Clock {
  private at: number;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; run: () => void }>();

  constructor(start = Date.now()) {
    this.at = start;
  }

  now(): number {
    return this.at;
  }

  setTimeout(run: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.set(id, { at: this.at + Math.max(0, ms), run });
    return id;
  }

  clearTimeout(timer: unknown): void {
    this.timers.delete(timer as number);
  }

  private earliest(): [number, { at: number; run: () => void }] | undefined {
    let first: [number, { at: number; run: () => void }] | undefined;
    for (const entry of this.timers) if (!first || entry[1].at < first[1].at) first = entry;
    return first;
  }

  /** Moves to the earliest timer and fires it, no further than `limit`; false when none is due by then. */
  fireNext(limit = Infinity): boolean {
    const first = this.earliest();
    if (!first || first[1].at > limit) return false;
    this.timers.delete(first[0]);
    this.at = Math.max(this.at, first[1].at);
    first[1].run();
    return true;
  }

  /** Moves time on to `time`; the timers due before it must have fired. */
  jumpTo(time: number): void {
    const first = this.earliest();
    if (first && first[1].at < time) throw new Error('a timer due before the jump has not fired');
    this.at = Math.max(this.at, time);
  }
}

/** Lets the real work under way (sockets, the store's commits) move on. */
const settleRealWork = () => new Promise((r) => setTimeout(r, 10));

export interface Driving {
  /**
   * Whether the real work has settled so time may move on: while an attempt is on the wire,
   * virtual time stands still, as if the service answered at once.
   */
  quiet?: () => boolean;
  /** The most virtual time to let pass. */
  withinMs?: number;
}

/**
 * Runs on virtual time until `check` holds: real work settles, `check` looks, and only then the
 * clock jumps to the next timer. Fails when `check` does not hold within `withinMs` of virtual time.
 */
export async function runUntil<T>(
  clock: ManualClock,
  check: () => T | false | undefined | Promise<T | false | undefined>,
  { quiet = () => true, withinMs = 24 * 3_600_000 }: Driving = {},
): Promise<T> {
  const deadline = clock.now() + withinMs;
  const realDeadline = Date.now() + 10_000;
  for (;;) {
    await settleRealWork();
    const value = await check();
    if (value) return value;
    if (Date.now() > realDeadline) throw new Error('condition not met in 10 s of real time');
    if (quiet() && !clock.fireNext(deadline) && clock.now() >= deadline) throw new Error(`condition not met within ${withinMs} ms of virtual time`);
  }
}

/** Lets `ms` of virtual time pass, firing every timer that falls due, with real work settling before each. */
export async function pass(clock: ManualClock, ms: number, { quiet = () => true }: Driving = {}): Promise<void> {
  const until = clock.now() + ms;
  const realDeadline = Date.now() + 10_000;
  for (;;) {
    await settleRealWork();
    if (!quiet()) {
      if (Date.now() > realDeadline) throw new Error('the real work did not settle in 10 s');
      continue;
    }
    if (!clock.fireNext(until)) break;
  }
  clock.jumpTo(until);
}
