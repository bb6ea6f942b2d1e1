import type { Envelope } from '../events/index.js';
import type { DeliveryState, LeasedDelivery } from './types.js';

/** A lease as the store hands it over: the event still in its stored JSON text. */
export type RawLease = Omit<LeasedDelivery, 'event'> & { body: string };

/**
 * A leased delivery whose event is parsed when an attempt first reads it. Leases wait in a lane's
 * buffer as one string each, far cheaper for the garbage collector than parsed objects.
 */
export class Lease implements LeasedDelivery {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly destination: string;
  readonly state: DeliveryState;
  readonly attempts: number;
  readonly nextAt: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly lastError?: string;
  readonly leaseToken: string;
  readonly body: string;
  private parsed?: Envelope;

  constructor(raw: RawLease) {
    this.id = raw.id;
    this.eventId = raw.eventId;
    this.eventType = raw.eventType;
    this.destination = raw.destination;
    this.state = raw.state;
    this.attempts = raw.attempts;
    this.nextAt = raw.nextAt;
    this.createdAt = raw.createdAt;
    this.updatedAt = raw.updatedAt;
    if (raw.lastError !== undefined) this.lastError = raw.lastError;
    this.leaseToken = raw.leaseToken;
    this.body = raw.body;
  }

  get event(): Envelope {
    return (this.parsed ??= JSON.parse(this.body) as Envelope);
  }
}
