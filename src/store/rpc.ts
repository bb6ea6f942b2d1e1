// What crosses between the daemon's thread and the store's: calls and replies typed from the
// `Store` interface, so a method added to `Store` is a method of the protocol without more code.
import type { AttemptRow } from './attempt-row.js';
import type { EventRow } from './event-row.js';
import type { LeaseBatch } from './lease.js';
import type { AcceptedEvent, LeaseOptions, LeasedDelivery, Settlement, Store } from './types.js';

/**
 * `Store` methods the caller's side does part of before anything crosses: rows are serialised
 * where they are made, leases are built from their batch where they are used, and the test of
 * whether a lease holder is dead is a function, which cannot cross at all.
 */
type PreparedByCaller = 'addEvents' | 'leaseDue' | 'recoverLeases' | 'settle';

/** The forms those calls cross in (SqliteStore implements both). */
export interface PreparedCalls {
  addEventRows(rows: EventRow[]): Promise<AcceptedEvent[]>;
  leaseBatch(destination: string, options: LeaseOptions): Promise<LeaseBatch>;
  leaseOwners(): Promise<string[]>;
  releaseLeasesOf(dead: string[]): Promise<number>;
  settleRow(delivery: Pick<LeasedDelivery, 'id' | 'leaseToken'>, settlement: Settlement, attempt?: AttemptRow): Promise<boolean>;
}

type MethodNames<T> = { [K in keyof T]-?: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

/** Every call the store's thread answers: each `Store` method as it is, but those the caller prepares. */
export type StoreProtocol = Pick<Store, Exclude<MethodNames<Store>, PreparedByCaller>> & PreparedCalls;
export type StoreMethod = MethodNames<StoreProtocol>;

export type StoreArgs = { [K in StoreMethod]: Parameters<StoreProtocol[K]> };
export type StoreResults = { [K in StoreMethod]: Awaited<ReturnType<StoreProtocol[K]>> };

/**
 * What answers the calls on the store's thread. Written over `StoreArgs` and `StoreResults` (not
 * `StoreProtocol` itself) so that `handlers[call.method](...call.args)` type-checks for any one call.
 */
export type StoreHandlers = { [K in StoreMethod]: (...args: StoreArgs[K]) => Promise<StoreResults[K]> };

export interface CallOf<K extends StoreMethod> {
  id: number;
  method: K;
  args: StoreArgs[K];
}

/** A call as it travels: some method with its arguments. */
export type Call = CallOf<StoreMethod>;

export interface Reply {
  id: number;
  value?: unknown;
  error?: { name?: string; message: string; code?: string };
}
