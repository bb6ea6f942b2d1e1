import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// The thread runs compiled code, as in the daemon: `npm test` builds first.
import { ThreadedStore } from '../dist/store/threaded.js';
import { buildEnvelope } from '../src/events/index.js';
import type { SqliteStore } from '../src/store/sqlite.js';
import type { StoreArgs, StoreHandlers, StoreMethod, StoreResults } from '../src/store/rpc.js';
import type { Store } from '../src/store/types.js';

const event = (id: string) => buildEnvelope({ id, type: 'session.started', data: { session: { id: 's' }, user: { id: 'u' } } });

describe('the calls that cross to the store thread', () => {
  // Checked by tsc (npm run typecheck); at run time these are no-ops.
  it('are the Store methods with their own arguments and answers', () => {
    expectTypeOf<StoreArgs['listDeliveries']>().toEqualTypeOf<Parameters<Store['listDeliveries']>>();
    expectTypeOf<StoreResults['getEvent']>().toEqualTypeOf<Awaited<ReturnType<Store['getEvent']>>>();
    expectTypeOf<SqliteStore>().toExtend<StoreHandlers>();
  });

  it('leave out only what the caller prepares before it crosses', () => {
    expectTypeOf<Exclude<keyof Store, StoreMethod>>().toEqualTypeOf<'addEvents' | 'leaseDue' | 'recoverLeases' | 'settle' | 'isOpen' | 'shared'>();
  });
});

describe('the store on its own thread', () => {
  let dir: string;
  let store: ThreadedStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  const open = async () => {
    dir = mkdtempSync(join(tmpdir(), 'vidhook-thread-'));
    store = await ThreadedStore.open(dir);
    return store;
  };

  it('takes events, leases them with their bodies and records the settlement', async () => {
    const s = await open();
    const sent = event('evt_1');
    const [accepted] = await s.addEvents([{ event: sent, destinations: ['a'] }]);
    expect(accepted).toEqual({ id: 'evt_1', deliveries: 1, duplicate: false });
    const [lease] = await s.leaseDue('a', { now: Date.now(), limit: 5, leaseMs: 60_000, owner: 'host:1:x' });
    expect(lease.event).toEqual(sent);
    expect(lease.state).toBe('in_flight');
    const attempt = {
      deliveryId: lease.id, eventId: 'evt_1', eventType: 'session.started', destination: 'a', number: 1,
      startedAt: new Date().toISOString(), durationMs: 3, outcome: 'ok' as const, statusCode: 200, exchanges: [],
    };
    expect(await s.settle(lease, { state: 'succeeded' }, attempt)).toBe(true);
    expect(await s.settle(lease, { state: 'succeeded' }, attempt)).toBe(false);
    expect((await s.getDelivery(lease.id))?.state).toBe('succeeded');
    expect((await s.listAttempts({ deliveryId: lease.id })).map((a) => a.statusCode)).toEqual([200]);
  });

  it('keeps the attempt log of a long exchange cut at 16 KiB a body, the short ones whole', async () => {
    const s = await open();
    await s.addEvents([{ event: event('evt_1'), destinations: ['a'] }]);
    const [lease] = await s.leaseDue('a', { now: Date.now(), limit: 5, leaseMs: 60_000, owner: 'host:1:x' });
    const long = 'x'.repeat(20_000);
    const exchange = (body: string) => ({
      startedAt: new Date().toISOString(), durationMs: 1,
      request: { method: 'POST', url: 'http://127.0.0.1/hook', headers: { 'content-type': 'application/json' }, body },
      response: { status: 200, headers: {}, body: 'ok' },
    });
    const attempt = {
      deliveryId: lease.id, eventId: 'evt_1', eventType: 'session.started', destination: 'a', number: 1,
      startedAt: new Date().toISOString(), durationMs: 3, outcome: 'ok' as const, statusCode: 200, exchanges: [exchange('short'), exchange(long)],
    };
    expect(await s.settle(lease, { state: 'succeeded' }, attempt)).toBe(true);
    const [recorded] = await s.listAttempts({ deliveryId: lease.id });
    expect(recorded.exchanges[0].request.body).toBe('short');
    expect(recorded.exchanges[1].request.body).toBe(`${'x'.repeat(16 * 1024)}… (${20_000 - 16 * 1024} more characters)`);
    expect(recorded.exchanges[1].response?.body).toBe('ok');
  });

  it.runIf(process.platform === 'linux')('runs five nice steps below the caller, so the delivery loop gets the CPU first', async () => {
    const niceOf = (task: string) => Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const before = new Set(readdirSync('/proc/self/task'));
    await open();
    const added = readdirSync('/proc/self/task').filter((task) => !before.has(task));
    expect(added.map(niceOf)).toContain(Math.min(19, getPriority() + 5));
    expect(niceOf(String(process.pid))).toBe(getPriority());
  });

  it('asks the caller which lease holders are dead: the test stays on this thread', async () => {
    const s = await open();
    await s.addEvents([{ event: event('evt_1'), destinations: ['a'] }]);
    await s.leaseDue('a', { now: Date.now(), limit: 1, leaseMs: 60_000, owner: 'host:1:gone' });
    const asked: string[] = [];
    expect(await s.recoverLeases((owner) => (asked.push(owner), true))).toBe(1);
    expect(asked).toEqual(['host:1:gone']);
  });

  it('carries an error back to the caller, and refuses calls once closed', async () => {
    const s = await open();
    await expect(s.putRuntimeDestination(null as never)).rejects.toThrow(/name/);
    expect(await s.stateGet('scope', 'key')).toBeUndefined();
    await s.close();
    store = undefined;
    expect(s.isOpen).toBe(false);
    await expect(s.stateGet('scope', 'key')).rejects.toThrow(/closed/);
  });

  it('says why a store cannot be opened', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vidhook-thread-'));
    writeFileSync(join(dir, 'taken'), 'not a directory');
    await expect(ThreadedStore.open(join(dir, 'taken'))).rejects.toThrow(/EEXIST|ENOTDIR|not a directory/);
  });
});
