import { describe, expect, it } from 'vitest';
import { parseJson, withoutPrototypeKeys } from '../src/events/safe-json.js';

describe('prototype keys', () => {
  it('hands back clean input as it is, without copying it', () => {
    const clean = { video: { id: 'v', tags: ['a', { b: 1 }] }, user: { id: 'u' } };
    expect(withoutPrototypeKeys(clean)).toBe(clean);
  });

  it('drops __proto__, constructor and prototype at any depth, inside arrays too', () => {
    const input = parseJson(
      '{"a":1,"__proto__":{"polluted":true},"list":[{"ok":1},{"constructor":{"prototype":{"x":1}},"keep":2}],"nested":{"prototype":3,"z":4}}',
    ) as Record<string, unknown>;
    expect(JSON.stringify(input)).toBe('{"a":1,"list":[{"ok":1},{"keep":2}],"nested":{"z":4}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves the input untouched and keeps the clean parts shared', () => {
    const ok = { id: 'v' };
    const input = JSON.parse('{"ok":{},"bad":{"__proto__":{"x":1},"y":2}}') as Record<string, unknown>;
    input.ok = ok;
    const out = withoutPrototypeKeys(input) as Record<string, unknown>;
    expect(out).not.toBe(input);
    expect(out.ok).toBe(ok);
    expect(Object.keys(out.bad as object)).toEqual(['y']);
    expect(Object.keys(input.bad as object)).toEqual(['__proto__', 'y']);
  });
});
