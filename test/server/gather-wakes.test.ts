import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { gatherWakes } from '../../src/server/gather-wakes.js';

describe('notices of new work from other daemons', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('wake the lanes once for all the notices within the window, with every destination they name', () => {
    const wakes: Array<string[] | undefined> = [];
    const notice = gatherWakes((names) => wakes.push(names), 25);
    notice(['slack']);
    notice(['crm', 'slack']);
    expect(wakes).toEqual([]);
    vi.advanceTimersByTime(25);
    expect(wakes).toEqual([['slack', 'crm']]);
    notice(['crm']);
    vi.advanceTimersByTime(25);
    expect(wakes).toEqual([['slack', 'crm'], ['crm']]);
  });

  it('wake every lane when one notice names no destination', () => {
    const wakes: Array<string[] | undefined> = [];
    const notice = gatherWakes((names) => wakes.push(names), 25);
    notice(['slack']);
    notice([]);
    notice(['crm']);
    vi.advanceTimersByTime(25);
    expect(wakes).toEqual([undefined]);
  });
});
