import { createHash } from 'node:crypto';
import type { Session } from './definition.js';

interface Kept {
  minting: Promise<Session<unknown>>;
  session?: Session<unknown>;
}

/**
 * Sessions minted per destination and credentials, in memory only. Concurrent deliveries wait
 * for the one mint in progress instead of each minting a token of its own.
 */
const sessions = new Map<string, Kept>();

export function sessionKey(kind: string, destination: string, settings: unknown): string {
  const credentials = createHash('sha256').update(JSON.stringify(settings) ?? '').digest('base64url');
  return `${kind}\0${destination}\0${credentials}`;
}

export async function sharedSession<A>(key: string, now: number, mint: () => Promise<Session<A>>): Promise<Session<A>> {
  const kept = sessions.get(key);
  if (kept && (!kept.session || kept.session.expiresAt === undefined || kept.session.expiresAt > now)) {
    return kept.minting as Promise<Session<A>>;
  }
  const entry: Kept = { minting: mint() };
  sessions.set(key, entry);
  entry.minting.then(
    (session) => void (entry.session = session),
    () => {
      if (sessions.get(key) === entry) sessions.delete(key);
    },
  );
  return entry.minting as Promise<Session<A>>;
}

/** Drops a session the service refused, unless another delivery already replaced it. */
export function forgetSession(key: string, refused: Session<unknown>): void {
  if (sessions.get(key)?.session === refused) sessions.delete(key);
}

export function forgetAllSessions(): void {
  sessions.clear();
}
