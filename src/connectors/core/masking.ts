import { memoize } from '../../memoize.js';

/** `whsec_…3f9a`, `https://hooks.slack.com/…/wXyZ`, `…9f2c`: enough to recognise, never enough to use. */
export function maskSecret(value: string): string {
  if (value.length < 12) return '****';
  const tail = value.slice(-4);
  const url = /^(https?:\/\/[^/]+)\//i.exec(value);
  if (url) return `${url[1]}/…${tail}`;
  const prefix = /^[A-Za-z]{2,8}[_-](?:[a-z]{2}\d[_-])?/.exec(value);
  return `${prefix ? prefix[0] : ''}…${tail}`;
}

/** How a secret can appear in a text (as is, URL-encoded, JSON-escaped), worked out once per secret. */
const formsOf = memoize((secret: string) => ({
  forms: [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)])],
  mask: maskSecret(secret),
}));

/** Replaces every occurrence of every secret (and its URL-encoded form) in a text. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    const { forms, mask } = formsOf(secret);
    for (const form of forms) {
      if (out.includes(form)) out = out.split(form).join(mask);
    }
  }
  return out;
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-shopify-access-token', 'cookie', 'set-cookie', 'x-api-key']);

export function redactHeaders(headers: Record<string, string>, secrets: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (CREDENTIAL_HEADERS.has(name.toLowerCase())) {
      const scheme = /^(Bearer|Basic|Token|OAuth)\s+/i.exec(value);
      out[name] = scheme ? `${scheme[1]} ${maskSecret(value.slice(scheme[0].length))}` : maskSecret(value);
    } else {
      out[name] = redact(value, secrets);
    }
  }
  return out;
}
