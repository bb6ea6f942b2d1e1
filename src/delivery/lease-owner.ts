import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** host:pid:nonce — the nonce tells this process from an earlier one that had the same pid (PID 1 in a container). */
export const LEASE_OWNER = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/** A lease holder on this host whose process no longer exists (a crash, kill -9). */
export function isDeadOwner(owner: string): boolean {
  const [host, pid] = owner.split(':');
  if (host !== hostname() || !pid || owner === LEASE_OWNER) return false;
  if (Number(pid) === process.pid) return true;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
