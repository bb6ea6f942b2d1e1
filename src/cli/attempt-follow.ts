import type { Attempt, AttemptFilter, Store } from '../store/types.js';

export interface FollowOptions {
  /** How often the log is read. */
  pollMs?: number;
  /**
   * How long an attempt id may stay invisible after a larger one is seen. Ids are taken when a
   * transaction inserts, not when it commits: on PostgreSQL, daemons committing at the same
   * time make ids appear out of order, so each poll reads the ids of this recent past again.
   */
  graceMs?: number;
}

const PAGE = 1000;

/** Every attempt with an id above `floor`, oldest first: the newest page, then older pages before it. */
async function attemptsAbove(store: Store, filter: AttemptFilter, floor: number): Promise<Attempt[]> {
  const pages: Attempt[][] = [];
  let beforeId: number | undefined;
  for (;;) {
    const page = await store.listAttempts({ ...filter, afterId: floor, beforeId, limit: PAGE });
    pages.unshift(page);
    if (page.length < PAGE) return pages.flat();
    beforeId = page[0].id;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}

/**
 * Follows the attempt log in the store until `signal` aborts, calling `onAttempt` once per new
 * attempt, whichever daemon made it. `from` is the id the caller has shown up to.
 */
export async function followAttemptLog(
  store: Store,
  filter: AttemptFilter,
  from: number,
  onAttempt: (a: Attempt) => void,
  signal: AbortSignal,
  { pollMs = 300, graceMs = 2_000 }: FollowOptions = {},
): Promise<void> {
  // Below `floor` everything was shown or has been committed for longer than graceMs; above it,
  // `shown` remembers what was printed so that a page read again prints nothing twice.
  let floor = from;
  const shown = new Set<number>();
  const polls: Array<{ at: number; highest: number }> = [];
  while (!signal.aborted) {
    let highest = floor;
    for (const a of await attemptsAbove(store, filter, floor)) {
      highest = Math.max(highest, a.id);
      if (shown.has(a.id)) continue;
      shown.add(a.id);
      onAttempt(a);
    }
    const now = Date.now();
    polls.push({ at: now, highest });
    // An id at or below what a poll graceMs ago saw was taken before that poll: its transaction has had graceMs to commit.
    while (polls.length > 0 && now - polls[0].at >= graceMs) floor = Math.max(floor, polls.shift()!.highest);
    for (const id of shown) if (id <= floor) shown.delete(id);
    await sleep(pollMs, signal);
  }
}
