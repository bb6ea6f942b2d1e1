import type { Envelope } from '../events/index.js';

/** An event as its row keeps it, with the destinations it fans out to. */
export interface EventRow {
  id: string;
  type: string;
  timestamp: string;
  body: string;
  destinations: string[];
}

/**
 * Serialised where the event was accepted: one string crosses to the store's thread far more
 * cheaply than the parsed event would be cloned, and the thread need not serialise it again.
 */
export function eventRow(event: Envelope, destinations: string[]): EventRow {
  return { id: event.id, type: event.type, timestamp: event.timestamp, body: JSON.stringify(event), destinations };
}
