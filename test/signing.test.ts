import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { sign, signedHeaders, verify } from '../src/signing/standard-webhooks.js';

const reference = (key: Buffer, message: string | Buffer) => createHmac('sha256', key).update(message).digest('base64');

describe('Standard Webhooks signatures', () => {
  it.each([
    ['a 24-byte key', 24],
    ['a 32-byte key', 32],
    ['a key of one block', 64],
    ['a key longer than a block, hashed first', 100],
  ])('match HMAC-SHA256 with %s', (_, size) => {
    const key = randomBytes(size);
    const secret = `whsec_${key.toString('base64')}`;
    for (const body of ['{"id":"evt_1"}', '{"title":"Vidéo — 東京 🎬"}', '', Buffer.from([0, 255, 128, 10])]) {
      const message = Buffer.concat([Buffer.from('evt_1.1764570000.'), Buffer.from(body)]);
      expect(sign(secret, 'evt_1', 1764570000, body)).toBe(`v1,${reference(key, message)}`);
    }
  });

  it('signs the same message alike, and another id differently', () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    expect(sign(secret, 'evt_1', 1, 'x')).toBe(sign(secret, 'evt_1', 1, 'x'));
    expect(sign(secret, 'evt_2', 1, 'x')).not.toBe(sign(secret, 'evt_1', 1, 'x'));
  });

  it('verifies with the standardwebhooks library and with our own verify', () => {
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const body = '{"type":"video.completed","data":{"title":"Vidéo"}}';
    const headers = signedHeaders([secret], 'evt_9', body);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => verify(secret, headers, body)).not.toThrow();
    expect(() => verify(secret, headers, `${body} `)).toThrow(/no matching signature/);
  });
});
