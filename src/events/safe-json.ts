const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

// Drops keys that could reach an object's prototype when the value is later copied.
export function withoutPrototypeKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutPrototypeKeys) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      if (!FORBIDDEN.has(key)) out[key] = withoutPrototypeKeys(inner);
    }
    return out as T;
  }
  return value;
}

export function parseJson(text: string): unknown {
  return withoutPrototypeKeys(JSON.parse(text));
}
