import { StoredEnvelope } from '../events/stored-envelope.js';
import type { LeasedDelivery } from './types.js';

/** One leased row: the delivery's own fields, its event still in its stored JSON text. */
export type LeaseRow = [
  id: string,
  eventId: string,
  eventType: string,
  attempts: number,
  attemptsBeforeRequeue: number,
  requeuedAt: number | null,
  createdAt: number,
  lastError: string | null,
  body: string,
];

/** A lease as the store hands it over: what its rows share, once, then one array per row. */
export interface LeaseBatch {
  destination: string;
  leaseToken: string;
  /** When the lease lapses: the rows' new next_at. */
  until: number;
  leasedAt: number;
  rows: LeaseRow[];
}

/**
 * A leased delivery whose event is made when an attempt first reads it, and parsed only as far as
 * its connector reads it. Leases wait in a lane's buffer as few and small objects as possible:
 * while they wait, the garbage collector copies them.
 */
export class Lease implements LeasedDelivery {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly destination: string;
  readonly state = 'in_flight';
  readonly attempts: number;
  readonly attemptsBeforeRequeue: number;
  readonly requeuedAt?: number;
  /** When the lease lapses; renewed while the delivery is held. */
  nextAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly leaseToken: string;
  readonly lastError?: string;
  private readonly body: string;
  private stored?: StoredEnvelope;

  constructor(batch: LeaseBatch, [id, eventId, eventType, attempts, attemptsBeforeRequeue, requeuedAt, createdAt, lastError, body]: LeaseRow) {
    this.id = id;
    this.eventId = eventId;
    this.eventType = eventType;
    this.destination = batch.destination;
    this.attempts = attempts;
    this.attemptsBeforeRequeue = attemptsBeforeRequeue;
    if (requeuedAt !== null) this.requeuedAt = requeuedAt;
    this.nextAt = batch.until;
    this.createdAt = createdAt;
    this.updatedAt = batch.leasedAt;
    this.leaseToken = batch.leaseToken;
    if (lastError !== null) this.lastError = lastError;
    this.body = body;
  }

  get event(): StoredEnvelope {
    return (this.stored ??= new StoredEnvelope(this.eventId, this.eventType, this.body));
  }
}

export function leasesOf(batch: LeaseBatch): Lease[] {
  return batch.rows.map((row) => new Lease(batch, row));
}
