import type { EventContext, User } from '../../events/index.js';
import { ISO_COUNTRY_CODES } from './country-codes.js';
import { normalizeAndHash, type HashedField } from './hashing.js';

/** Meta's user_data: personal fields only as SHA-256 hex, browser identifiers raw. */
export interface MetaUserData {
  em?: string[];
  ph?: string[];
  fn?: string[];
  ln?: string[];
  ct?: string[];
  st?: string[];
  zp?: string[];
  country?: string[];
  external_id?: string[];
  client_ip_address?: string;
  client_user_agent?: string;
  fbp?: string;
  fbc?: string;
}

/** Who an event is about and where it happened: what Meta matches people on. */
export interface MetaPerson {
  user?: Partial<User>;
  context?: EventContext;
}

// Fields the user shape does not name (state, zip) arrive untyped, as the producer sent them.
const loose = (value: unknown): string | undefined => (typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined);

const COUNTRY_ALIASES: Readonly<Record<string, string>> = { uk: 'gb', usa: 'us', 'united states of america': 'us', 'great britain': 'gb' };
let countryByName: Map<string, string> | undefined;

/**
 * The ISO code for a country name ("United States" → "us"). The SDK refuses names; its newer
 * parameter builder maps them, and Meta matches only on the code.
 */
export function countryCode(raw: string): string | undefined {
  const value = raw.trim().toLowerCase();
  if (ISO_COUNTRY_CODES.has(value)) return value;
  if (COUNTRY_ALIASES[value]) return COUNTRY_ALIASES[value];
  if (!countryByName) {
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    countryByName = new Map([...ISO_COUNTRY_CODES].map((code) => [names.of(code.toUpperCase())!.toLowerCase(), code]));
  }
  return countryByName.get(value);
}

// The SDK keeps dots and slashes in phone numbers ("415.555.0134"), which no Meta profile matches.
const phoneForMeta = (raw: string) => raw.replace(/[./]/g, '');

function splitName(user: Partial<User>): { first?: string; last?: string } {
  const first = user.firstName || undefined;
  const last = user.lastName || undefined;
  if (first || last) return { first, last };
  const words = (user.name ?? '').split(/\s+/).filter(Boolean);
  return { first: words[0], last: words.length > 1 ? words.slice(1).join(' ') : undefined };
}

export function metaUserData({ user = {}, context = {} }: MetaPerson): MetaUserData {
  const name = splitName(user);
  const hashed: Array<[Exclude<HashedField, 'ge' | 'db'>, string | undefined]> = [
    ['em', user.email],
    ['ph', user.phone && phoneForMeta(user.phone)],
    ['fn', name.first],
    ['ln', name.last],
    ['ct', user.city],
    ['st', loose(user.state)],
    ['zp', loose(user.zip) ?? loose(user.postalCode) ?? loose(user.zipCode)],
    ['country', user.country && countryCode(user.country)],
    ['external_id', user.id],
  ];
  const out: MetaUserData = {};
  for (const [field, raw] of hashed) {
    const hash = raw ? normalizeAndHash(raw, field) : undefined;
    if (hash) out[field] = [hash];
  }
  const ip = context.ip || user.ip;
  const userAgent = context.userAgent || user.userAgent;
  if (ip) out.client_ip_address = ip;
  if (userAgent) out.client_user_agent = userAgent;
  if (context.fbp) out.fbp = context.fbp;
  if (context.fbc) out.fbc = context.fbc;
  return out;
}
