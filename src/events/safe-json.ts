const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

// Drops keys that could reach an object's prototype when the value is later copied. A value
// without such keys comes back as is: most input has none, and copying it all costs more than looking.
export function withoutPrototypeKeys<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, i) => {
      const clean = withoutPrototypeKeys(item);
      if (clean !== item) (copy ??= [...value])[i] = clean;
    });
    return (copy ?? value) as T;
  }
  const source = value as Record<string, unknown>;
  const keys = Object.keys(source);
  let copy: Record<string, unknown> | undefined;
  keys.forEach((key, i) => {
    const forbidden = FORBIDDEN.has(key);
    const clean = forbidden ? undefined : withoutPrototypeKeys(source[key]);
    if (!copy && (forbidden || clean !== source[key])) {
      // The keys before this one were clean: they are copied as they are.
      copy = {};
      for (const earlier of keys.slice(0, i)) copy[earlier] = source[earlier];
    }
    if (copy && !forbidden) copy[key] = clean;
  });
  return (copy ?? value) as T;
}

export function parseJson(text: string): unknown {
  return withoutPrototypeKeys(JSON.parse(text));
}
