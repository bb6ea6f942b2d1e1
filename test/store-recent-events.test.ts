import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../src/store/types.js';
import { STORE_KINDS, type StoreUnderTest } from './helpers/stores.js';
import { buildEnvelope } from '../src/events/index.js';

const started = (id: string) => buildEnvelope({ id, type: 'session.started', data: { session: { id: 's' }, user: { id: 'u' } } });
const registered = (id: string) => buildEnvelope({ id, type: 'user.registered', data: { user: { id: 'u', email: 'a@b.co' } } });

describe.each(STORE_KINDS.filter((k) => !k.skip))('recent events of one type (the Zapier samples), $name', (kind) => {
  let opened: StoreUnderTest | undefined;
  let store: Store;
  afterEach(async () => {
    await opened?.close();
    opened = undefined;
  });

  async function storeWith(...events: ReturnType<typeof started>[]) {
    opened = await kind.open();
    store = opened.store;
    for (const event of events) await store.addEvents([{ event, destinations: [] }]);
  }

  it('returns the newest events of the type first, whole, up to the limit, events without deliveries included', async () => {
    const newest = started('evt_c');
    await storeWith(started('evt_a'), registered('evt_u'), started('evt_b'), newest);
    const recent = await store.recentEvents('session.started', { limit: 2, window: 100 });
    expect(recent.map((e) => e.id)).toEqual(['evt_c', 'evt_b']);
    expect(recent[0]).toEqual(newest);
  });

  it('looks only at the last `window` events received, so a rare type cannot scan the whole table', async () => {
    await storeWith(registered('evt_u'), started('evt_a'), started('evt_b'));
    expect(await store.recentEvents('user.registered', { limit: 10, window: 2 })).toEqual([]);
    expect((await store.recentEvents('user.registered', { limit: 10, window: 3 })).map((e) => e.id)).toEqual(['evt_u']);
  });

  it('returns nothing for a type never stored, or from an empty store', async () => {
    await storeWith();
    expect(await store.recentEvents('session.started', { limit: 10, window: 100 })).toEqual([]);
  });
});
