import { describe, expect, it } from 'vitest';
import { buildEnvelope, eventJson, StoredEnvelope } from '../src/events/index.js';

const sent = buildEnvelope({ id: 'evt_1', type: 'video.completed', data: { video: { id: 'v', title: 'Vidéo', url: 'https://x.test/v' }, user: { id: 'u' } } });
const stored = () => new StoredEnvelope(sent.id, sent.type, JSON.stringify(sent));

describe('an event read back from its stored text', () => {
  it('equals the event that was stored, spread, compared or serialised', () => {
    expect(stored()).toEqual(sent);
    expect({ ...stored() }).toEqual(sent);
    expect(JSON.parse(JSON.stringify(stored()))).toEqual(sent);
    expect(Object.keys(stored())).toEqual(['id', 'type', 'timestamp', 'data']);
  });

  it('gives its stored text back as JSON, byte for byte, and serialises any other event', () => {
    // Spaced out, so a text serialised again from the parsed event would differ.
    const text = JSON.stringify(sent, null, 1);
    expect(eventJson(new StoredEnvelope(sent.id, sent.type, text))).toBe(text);
    expect(eventJson(sent)).toBe(JSON.stringify(sent));
  });

  it('reads its id and type without parsing the text', () => {
    const unreadable = new StoredEnvelope('evt_2', 'user.registered', '{not json');
    expect([unreadable.id, unreadable.type]).toEqual(['evt_2', 'user.registered']);
    expect(() => unreadable.data).toThrow(SyntaxError);
  });
});
