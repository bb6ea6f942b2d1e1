import { randomFillSync } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Random bytes drawn from a refilled pool: one system call per 256 ids rather than one per id.
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function nextRandomByte(): number {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  return pool[poolOffset++];
}

// ULID-style: 48-bit millisecond time then 80 random bits, Crockford base32.
// Sorts by creation time and holds no '.', so it is a valid webhook-id.
export function newId(prefix: string, now = Date.now()): string {
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[nextRandomByte() % 32];
  return `${prefix}_${time}${random}`;
}

export const newEventId = (now?: number) => newId('evt', now);

export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
