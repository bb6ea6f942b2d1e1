import type { Envelope } from '../events/index.js';
import type { LeasedDelivery } from './types.js';

/** A lease as the store hands it over: the event still in its stored JSON text. */
export type RawLease = Omit<LeasedDelivery, 'event'> & { body: string };

// The lease's fields are those of the row it was made from.
export interface Lease extends RawLease {}

/**
 * A leased delivery whose event is parsed when an attempt first reads it. Leases wait in a lane's
 * buffer as one string each, far cheaper for the garbage collector than parsed objects.
 */
export class Lease implements LeasedDelivery {
  private parsed?: Envelope;

  constructor(raw: RawLease) {
    Object.assign(this, raw);
  }

  get event(): Envelope {
    return (this.parsed ??= JSON.parse(this.body) as Envelope);
  }
}
