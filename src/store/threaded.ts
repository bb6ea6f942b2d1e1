import { Worker } from 'node:worker_threads';
import type { Envelope } from '../events/index.js';
import type { SqliteStoreOptions } from './sqlite.js';
import { batchPerTurn } from './turn-batch.js';
import { leasesOf } from './lease.js';
import { attemptRow } from './attempt-row.js';
import { eventRow } from './event-row.js';
import type { Call, Reply, StoreArgs, StoreMethod, StoreResults } from './rpc.js';
import type {
  AcceptedEvent, Attempt, AttemptFilter, Delivery, DeliveryFilter, DestinationHealth, DestinationHold, LeaseOptions, LeasedDelivery, NewAttempt,
  RuntimeDestination, Settlement, Store, StoredEvent, StoredTypeCount, Activity,
} from './types.js';

/** The store thread's garbage is short-lived: a small young generation keeps its memory flat. */
const STORE_THREAD_YOUNG_MB = 4;

class StoreThreadError extends Error {
  constructor(message: string, readonly code?: string) {
    super(message);
    this.name = 'StoreThreadError';
  }
}

/**
 * The SQLite store on a thread of its own (the daemon's): the dispatcher and the API keep one
 * core while statements, commits and fsyncs use the other. Calls made in one turn of the event
 * loop travel as one message.
 */
export class ThreadedStore implements Store {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly send: (call: Call) => void;
  private nextId = 1;
  private failure?: Error;
  private open = true;

  private constructor(dataDir: string, options?: SqliteStoreOptions) {
    this.worker = new Worker(new URL('./store-thread.js', import.meta.url), {
      workerData: { dataDir, options },
      resourceLimits: { maxYoungGenerationSizeMb: STORE_THREAD_YOUNG_MB },
    });
    this.send = batchPerTurn<Call>((calls) => this.worker.postMessage(calls));
    this.worker.on('message', (replies: Reply[]) => {
      for (const reply of replies) {
        const waiting = this.pending.get(reply.id);
        if (!waiting) continue;
        this.pending.delete(reply.id);
        if (reply.error) waiting.reject(Object.assign(new StoreThreadError(reply.error.message, reply.error.code), { name: reply.error.name ?? 'Error' }));
        else waiting.resolve(reply.value);
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new StoreThreadError(`the store thread stopped (exit code ${code})`)));
  }

  /** Opens the store and waits until its thread has the database open (or reports why not). */
  static async open(dataDir: string, options?: SqliteStoreOptions): Promise<ThreadedStore> {
    const store = new ThreadedStore(dataDir, options);
    await store.call('sizeBytes');
    return store;
  }

  private fail(err: Error): void {
    this.open = false;
    this.failure ??= err;
    for (const waiting of this.pending.values()) waiting.reject(this.failure);
    this.pending.clear();
  }

  /** One call to the store's thread, its arguments and answer typed by the method it names. */
  private call<K extends StoreMethod>(method: K, ...args: StoreArgs[K]): Promise<StoreResults[K]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      // The answer is whatever the thread's method returned: its type is the method's (rpc.ts).
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.send({ id, method, args });
    });
  }

  get isOpen(): boolean {
    return this.open;
  }

  addEvents(batch: Array<{ event: Envelope; destinations: string[] }>): Promise<AcceptedEvent[]> {
    return this.call('addEventRows', batch.map(({ event, destinations }) => eventRow(event, destinations)));
  }

  getEvent(id: string): Promise<StoredEvent | undefined> {
    return this.call('getEvent', id);
  }

  recentEvents(type: string, options: { limit: number; window: number }): Promise<Envelope[]> {
    return this.call('recentEvents', type, options);
  }

  async leaseDue(destination: string, options: LeaseOptions): Promise<LeasedDelivery[]> {
    // Bodies cross as text, parsed when an attempt needs them: cheaper than cloning parsed objects between threads.
    return leasesOf(await this.call('leaseBatch', destination, options));
  }

  nextDueAt(destination: string, eventIds?: string[]): Promise<number | undefined> {
    return this.call('nextDueAt', destination, eventIds);
  }

  async recoverLeases(isDead: (owner: string) => boolean): Promise<number> {
    const owners = await this.call('leaseOwners');
    return this.call('releaseLeasesOf', owners.filter(isDead));
  }

  settle(delivery: Pick<LeasedDelivery, 'id' | 'leaseToken'>, settlement: Settlement, attempt?: NewAttempt): Promise<boolean> {
    return this.call('settleRow', { id: delivery.id, leaseToken: delivery.leaseToken }, settlement, attempt && attemptRow(attempt));
  }

  listDeliveries(filter: DeliveryFilter): Promise<Delivery[]> {
    return this.call('listDeliveries', filter);
  }

  getDelivery(id: string): Promise<Delivery | undefined> {
    return this.call('getDelivery', id);
  }

  listAttempts(filter: AttemptFilter): Promise<Attempt[]> {
    return this.call('listAttempts', filter);
  }

  attemptsByIds(ids: number[]): Promise<Attempt[]> {
    return this.call('attemptsByIds', ids);
  }

  requeue(filter: DeliveryFilter & { ids?: string[] }): Promise<Delivery[]> {
    return this.call('requeue', filter);
  }

  backfill(destination: string, options: { since: number; types?: readonly string[] }): Promise<number> {
    return this.call('backfill', destination, options);
  }

  storedEventCounts(destination: string, since: number): Promise<StoredTypeCount[]> {
    return this.call('storedEventCounts', destination, since);
  }

  health(destinations: string[], now: number): Promise<DestinationHealth[]> {
    return this.call('health', destinations, now);
  }

  countByState(): Promise<Record<string, number>> {
    return this.call('countByState');
  }

  prune(olderThan: number): Promise<{ events: number; attempts: number }> {
    return this.call('prune', olderThan);
  }

  stateGet(scope: string, key: string): Promise<string | undefined> {
    return this.call('stateGet', scope, key);
  }

  stateSet(scope: string, key: string, value: string): Promise<void> {
    return this.call('stateSet', scope, key, value);
  }

  stateDelete(scope: string, key: string): Promise<void> {
    return this.call('stateDelete', scope, key);
  }

  renewLeases(leases: Array<Pick<LeasedDelivery, 'id' | 'leaseToken'>>, options: { now: number; leaseMs: number }): Promise<string[]> {
    return this.call('renewLeases', leases.map(({ id, leaseToken }) => ({ id, leaseToken })), options);
  }

  holdDestination(destination: string, hold: DestinationHold): Promise<void> {
    return this.call('holdDestination', destination, hold);
  }

  destinationHolds(now: number): Promise<Record<string, DestinationHold>> {
    return this.call('destinationHolds', now);
  }

  disabledDestinations(): Promise<Record<string, string>> {
    return this.call('disabledDestinations');
  }

  setDisabled(destination: string, reason: string | null): Promise<void> {
    return this.call('setDisabled', destination, reason);
  }

  listRuntimeDestinations(): Promise<RuntimeDestination[]> {
    return this.call('listRuntimeDestinations');
  }

  putRuntimeDestination(dest: RuntimeDestination): Promise<void> {
    return this.call('putRuntimeDestination', dest);
  }

  deleteRuntimeDestination(name: string): Promise<boolean> {
    return this.call('deleteRuntimeDestination', name);
  }

  sizeBytes(): Promise<number> {
    return this.call('sizeBytes');
  }

  /** Commits what is queued, closes the database, then ends the thread. */
  async close(): Promise<void> {
    if (!this.open) return;
    await this.call('close');
    this.open = false;
    this.failure = new StoreThreadError('the store is closed');
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }

  activity(destinations: string[], since: number, bucketMs: number): Promise<Activity> {
    return this.call('activity', destinations, since, bucketMs);
  }

  countRequeue(filter: DeliveryFilter & { ids?: string[] }): Promise<number> {
    return this.call('countRequeue', filter);
  }
}
