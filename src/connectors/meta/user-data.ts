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

type Obj = Record<string, unknown>;
const obj = (value: unknown): Obj => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Obj) : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' && value.trim().length > 0 ? value.trim() : undefined);

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

function splitName(user: Obj): { first?: string; last?: string } {
  const first = str(user.firstName);
  const last = str(user.lastName);
  if (first || last) return { first, last };
  const words = (str(user.name) ?? '').split(/\s+/).filter(Boolean);
  return { first: words[0], last: words.length > 1 ? words.slice(1).join(' ') : undefined };
}

export function metaUserData(data: Obj): MetaUserData {
  const user = obj(data.user);
  const context = obj(data.context);
  const name = splitName(user);
  const country = str(user.country);
  const hashed: Array<[Exclude<HashedField, 'ge' | 'db'>, string | undefined]> = [
    ['em', str(user.email)],
    ['ph', str(user.phone) && phoneForMeta(str(user.phone)!)],
    ['fn', name.first],
    ['ln', name.last],
    ['ct', str(user.city)],
    ['st', str(user.state)],
    ['zp', str(user.zip) ?? str(user.postalCode) ?? str(user.zipCode)],
    ['country', country && countryCode(country)],
    ['external_id', str(user.id)],
  ];
  const out: MetaUserData = {};
  for (const [field, raw] of hashed) {
    const hash = raw === undefined ? undefined : normalizeAndHash(raw, field);
    if (hash) out[field] = [hash];
  }
  const ip = str(context.ip) ?? str(user.ip);
  const userAgent = str(context.userAgent) ?? str(user.userAgent);
  if (ip) out.client_ip_address = ip;
  if (userAgent) out.client_user_agent = userAgent;
  if (str(context.fbp)) out.fbp = str(context.fbp);
  if (str(context.fbc)) out.fbc = str(context.fbc);
  return out;
}
