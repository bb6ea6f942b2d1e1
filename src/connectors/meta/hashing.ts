import { createHash } from 'node:crypto';
import { ISO_COUNTRY_CODES } from './country-codes.js';

// Normalization and hashing of customer information, step for step as Meta's business SDK
// does it (facebook-nodejs-business-sdk ServerSideUtils.normalizeAndHash), so hashes match
// what Meta computes from its own users' data.

export type HashedField = 'em' | 'ph' | 'fn' | 'ln' | 'ge' | 'db' | 'ct' | 'st' | 'zp' | 'country' | 'external_id';

const ALREADY_HASHED = /^(?:[a-f0-9]{64}|[a-f0-9]{32})$/;
// The SDK's email check (the email-validator package).
const EMAIL = /^[-!#$%&'*+/0-9=?A-Z^_a-z{|}~](\.?[-!#$%&'*+/0-9=?A-Z^_a-z`{|}~])*@[a-zA-Z0-9](-*\.?[a-zA-Z0-9])*\.[a-zA-Z](-?[a-zA-Z0-9])+$/;
const PHONE_IGNORED = /[-@#<>'",; ]|\(|\)|\+|[a-z]/g;
const PHONE_PREFIX_ZEROS = /^\+?0{0,2}/;
const US_PHONE = /^1\(?\d{3}\)?\d{7}$/;
const INTERNATIONAL_PHONE = /^\d{1,4}\(?\d{2,3}\)?\d{4,}$/;

function email(value: string): string | undefined {
  if (value.length > 254 || !EMAIL.test(value)) return undefined;
  const [local, domain] = value.split('@');
  if (local.length > 64 || domain.split('.').some((part) => part.length > 63)) return undefined;
  return value;
}

function looksInternational(phone: string): boolean {
  const rest = phone.replace(PHONE_PREFIX_ZEROS, '');
  if (rest.startsWith('0')) return false;
  return rest.startsWith('1') ? US_PHONE.test(rest) : INTERNATIONAL_PHONE.test(rest);
}

function phone(value: string): string | undefined {
  let digits = value.replace(PHONE_IGNORED, '');
  if (looksInternational(digits)) digits = digits.replace(PHONE_PREFIX_ZEROS, '');
  return digits.length < 7 || digits.length > 16 ? undefined : digits;
}

function zip(value: string): string | undefined {
  const first = value.replace(/\s/g, '').split('-', 1)[0];
  return first.length < 2 ? undefined : first;
}

function gender(value: string): string | undefined {
  const letters = value.replace(/[^a-z]/g, '');
  if (letters === 'f' || letters === 'female') return 'f';
  if (letters === 'm' || letters === 'male') return 'm';
  return undefined;
}

const FIELD_STEPS: Partial<Record<HashedField, (value: string) => string | undefined>> = {
  em: email,
  ph: phone,
  ge: gender,
  ct: (value) => value.replace(/[0-9\s().-]/g, ''),
  st: (value) => value.replace(/[0-9\s().-]/g, ''),
  zp: zip,
  country: (value) => (ISO_COUNTRY_CODES.has(value) ? value : undefined),
};

function prepared(input: string, field: HashedField): { hashed: string } | { plain: string } | undefined {
  const value = input.trim().toLowerCase();
  if (value.length === 0) return undefined;
  if (ALREADY_HASHED.test(value)) return { hashed: value };
  const step = FIELD_STEPS[field];
  const plain = step ? step(value) : value;
  return plain === undefined ? undefined : { plain };
}

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Lowercase hex SHA-256 of the normalized value, as Meta expects; undefined where the SDK
 * refuses the value (it throws or returns null). A value already shaped like a SHA-256 or
 * MD5 digest passes through unchanged.
 */
export function normalizeAndHash(input: string, field: HashedField): string | undefined {
  const value = prepared(input, field);
  if (!value) return undefined;
  return 'hashed' in value ? value.hashed : sha256Hex(value.plain);
}
