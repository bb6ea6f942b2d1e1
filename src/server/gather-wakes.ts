/**
 * How long notices of new work gather before they wake the lanes. The daemon that accepted an event
 * wakes its own lanes at once and has usually leased it by then; the others then lease once per lane
 * for many notices rather than every daemon racing for every event.
 */
export const NEW_WORK_GATHER_MS = 25;

/** Gathers the destinations of the notices that arrive within `ms` into one wake-up (none named: all). */
export function gatherWakes(wake: (names?: string[]) => void, ms: number): (names: string[]) => void {
  let pending: Set<string> | 'all' | undefined;
  return (names) => {
    const first = pending === undefined;
    if (names.length === 0) pending = 'all';
    else if (pending !== 'all') {
      pending ??= new Set();
      for (const name of names) pending.add(name);
    }
    if (!first) return;
    setTimeout(() => {
      const gathered = pending;
      pending = undefined;
      wake(gathered === 'all' ? undefined : [...gathered!]);
    }, ms).unref();
  };
}
