import type { Attempt, Delivery } from './types.js';

// Both stores keep the same columns; a row becomes the same value whichever database held it.
type Row = Record<string, unknown>;

export function toDelivery(row: Row): Delivery {
  return {
    id: row.id as string,
    eventId: row.event_id as string,
    eventType: row.event_type as string,
    destination: row.destination as string,
    state: row.state as Delivery['state'],
    attempts: row.attempts as number,
    nextAt: row.next_at as number,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
    ...(row.last_error ? { lastError: row.last_error as string } : {}),
  };
}

export function toAttempt(row: Row): Attempt {
  return {
    id: row.id as number,
    deliveryId: row.delivery_id as string,
    eventId: row.event_id as string,
    eventType: row.event_type as string,
    destination: row.destination as string,
    number: row.number as number,
    startedAt: row.started_at as string,
    durationMs: row.duration_ms as number,
    outcome: row.outcome as Attempt['outcome'],
    ...(row.status_code != null ? { statusCode: row.status_code as number } : {}),
    ...(row.error ? { error: row.error as string } : {}),
    exchanges: JSON.parse(row.exchanges as string),
  };
}
