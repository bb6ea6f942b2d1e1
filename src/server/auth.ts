import { timingSafeEqual, createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when no token is set, or the request carries `Authorization: Bearer <token>`. */
export function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (!token) return true;
  const header = req.headers.authorization ?? '';
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return false;
  return timingSafeEqual(digest(match[1].trim()), digest(token));
}

/** How long a stream ticket opens the attempt stream: long enough for EventSource to reconnect a few times. */
export const TICKET_TTL_MS = 60_000;

/**
 * Short-lived tickets for the attempt stream: a browser's EventSource cannot send a header, and the
 * long-lived token must not sit in a URL (logs, history, Referer). A ticket is issued to an
 * authenticated POST, opens only the stream, and expires after a minute.
 */
export class StreamTickets {
  private readonly tickets = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(): { ticket: string; expiresAt: string } {
    const at = this.now();
    for (const [t, expires] of this.tickets) if (expires <= at) this.tickets.delete(t);
    const ticket = `tkt_${randomBytes(24).toString('base64url')}`;
    const expires = at + TICKET_TTL_MS;
    this.tickets.set(ticket, expires);
    return { ticket, expiresAt: new Date(expires).toISOString() };
  }

  valid(ticket: string | null): boolean {
    if (!ticket) return false;
    const expires = this.tickets.get(ticket);
    return expires !== undefined && expires > this.now();
  }
}
