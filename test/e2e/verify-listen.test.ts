import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { BIN, sandbox, type Sandbox } from '../helpers/cli.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const OTHER = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD';

describe('vidhook verify', () => {
  let box: Sandbox;
  afterEach(() => box.cleanup());

  function signed(body: string, secret = SECRET) {
    const timestamp = new Date();
    const signature = new StandardWebhook(secret).sign('msg_1', timestamp, body);
    return { id: 'msg_1', timestamp: String(Math.floor(timestamp.getTime() / 1000)), signature };
  }

  it('exits 0 for a signature made by the standardwebhooks library', async () => {
    box = sandbox();
    const body = '{"type":"video.completed"}';
    const h = signed(body);
    const result = await box.run(
      ['verify', '--secret', SECRET, '--id', h.id, '--timestamp', h.timestamp, '--signature', h.signature],
      { input: body, stdin: undefined },
    );
    expect(result.stdout).toContain('valid');
    expect(result.exitCode).toBe(0);
  });

  it('exits 1 for a tampered body or the wrong secret', async () => {
    box = sandbox();
    const body = '{"type":"video.completed"}';
    const h = signed(body);
    const args = ['verify', '--id', h.id, '--timestamp', h.timestamp, '--signature', h.signature];
    const tampered = await box.run([...args, '--secret', SECRET], { input: `${body} `, stdin: undefined });
    expect(tampered.exitCode).toBe(1);
    expect(tampered.stdout).toContain('no matching signature');
    const wrong = await box.run([...args, '--secret', OTHER], { input: body, stdin: undefined });
    expect(wrong.exitCode).toBe(1);
  });

  it('reads headers from a file and the body from a file', async () => {
    box = sandbox();
    const body = '{"type":"user.registered"}';
    const h = signed(body);
    const headers = join(box.dir, 'headers.txt');
    const bodyFile = join(box.dir, 'body.json');
    writeFileSync(headers, `webhook-id: ${h.id}\nwebhook-timestamp: ${h.timestamp}\nwebhook-signature: v1,bogus ${h.signature}\n`);
    writeFileSync(bodyFile, body);
    const result = await box.run(['verify', bodyFile, '--secret', SECRET, '--headers', headers, '--json']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({ valid: true, id: 'msg_1' });
  });

  it('exits 2 without a secret', async () => {
    box = sandbox();
    const result = await box.run(['verify', '--id', 'x'], { input: '{}', stdin: undefined });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--secret is required');
  });
});

describe('vidhook listen', () => {
  let box: Sandbox;
  afterEach(() => box.cleanup());

  it('prints each request as NDJSON and checks its signature', async () => {
    box = sandbox();
    const port = 20000 + Math.floor(Math.random() * 20000);
    const listener = execa('node', [BIN, 'listen', '--port', String(port), '--secret', SECRET, '--json'], {
      env: box.env,
      reject: false,
    });
    const lines: string[] = [];
    const twoRequests = new Promise<void>((resolve) => {
      listener.stdout!.on('data', (d: Buffer) => {
        lines.push(...d.toString().split('\n').filter(Boolean));
        if (lines.length >= 2) resolve();
      });
    });
    try {
      await new Promise<void>((resolve) => listener.stderr!.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()));
      box.writeConfig(`
destinations:
  local:
    connector: webhook
    url: http://127.0.0.1:${port}/hooks
    secret: ${SECRET}
  wrong-secret:
    connector: webhook
    url: http://127.0.0.1:${port}/other
    secret: ${OTHER}
`);
      const emitted = await box.run(['emit', 'session.started', '--sample', '--json']);
      await twoRequests;
      const records = lines.map((l) => JSON.parse(l)).sort((a, b) => a.path.localeCompare(b.path));
      expect(records[0]).toMatchObject({ method: 'POST', path: '/hooks', signature: { valid: true } });
      expect(JSON.parse(records[0].body).type).toBe('session.started');
      expect(records[1]).toMatchObject({ path: '/other', signature: { valid: false } });
      // The receiver answers 401 to a bad signature, so that delivery fails for good.
      const doc = JSON.parse(emitted.stdout);
      const states = Object.fromEntries(doc.deliveries.map((d: { destination: string; state: string }) => [d.destination, d.state]));
      expect(states).toEqual({ local: 'succeeded', 'wrong-secret': 'failed' });
    } finally {
      listener.kill('SIGINT');
      await listener;
    }
  });
});
