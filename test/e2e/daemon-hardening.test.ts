import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { BIN, sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemon.js';

/** A request with the headers a browser page (or an attacker) would send, Host and Origin included. */
function rawRequest(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // keep the text
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes raw bytes on one connection; resolves with everything read once the daemon closes it. */
function onOneConnection(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (d) => (text += d.toString()));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? undefined : reject(err)));
    socket.on('close', () => resolve(text));
    socket.write(bytes);
  });
}

const webhook = (url: string) => JSON.stringify({ url, events: ['*'] });

describe('a web page cannot drive the local API', () => {
  let box: Sandbox;
  let daemon: DaemonProcess;
  let port: string;

  beforeAll(async () => {
    box = sandbox();
    box.writeConfig(`
server:
  allowedOrigins: [https://console.example.com]
`);
    daemon = await startDaemon(box, ['--allow-private-targets', '--max-body-bytes', '2048']);
    port = new URL(daemon.url).port;
  });
  afterAll(async () => {
    await daemon.stop();
    box.cleanup();
  });

  const registered = async () => (await daemon.request('GET', '/api/integrations/webhooks')).body.webhooks.length as number;

  it('refuses a body that is not application/json (a form or text/plain post needs no preflight)', async () => {
    const res = await rawRequest(daemon.url, 'POST', '/api/integrations/webhooks', { 'content-type': 'text/plain' }, webhook('http://127.0.0.1:9/x'));
    expect(res.status).toBe(415);
    expect(res.body.error.message).toMatch(/Content-Type: application\/json \(got "text\/plain"\)/);
    expect(await registered()).toBe(0);
  });

  it('refuses a Host that is not a name the daemon answers to (DNS rebinding)', async () => {
    const res = await rawRequest(daemon.url, 'POST', '/api/integrations/webhooks', { host: `rebind.attacker.example:${port}`, 'content-type': 'application/json' }, webhook('http://127.0.0.1:9/x'));
    expect(res.status).toBe(421);
    expect(res.body.error.code).toBe('wrong_host');
    expect(await registered()).toBe(0);
    const local = await rawRequest(daemon.url, 'GET', '/api/integrations/webhooks', { host: `localhost:${port}` });
    expect(local.status).toBe(200);
  });

  it('refuses a cross-origin page unless its origin is listed in server.allowedOrigins', async () => {
    const json = { 'content-type': 'application/json' };
    const foreign = await rawRequest(daemon.url, 'POST', '/api/integrations/webhooks', { ...json, origin: 'https://evil.example' }, webhook('http://127.0.0.1:9/x'));
    expect(foreign.status).toBe(403);
    expect(foreign.body.error.message).toMatch(/server\.allowedOrigins/);
    expect(await registered()).toBe(0);
    const same = await rawRequest(daemon.url, 'POST', '/api/integrations/webhooks', { ...json, origin: `http://127.0.0.1:${port}` }, webhook('http://127.0.0.1:9/same'));
    expect(same.status).toBe(201);
    const listed = await rawRequest(daemon.url, 'POST', '/api/integrations/webhooks', { ...json, origin: 'https://console.example.com' }, webhook('http://127.0.0.1:9/listed'));
    expect(listed.status).toBe(201);
  });
});

describe('runtime registrations', () => {
  let box: Sandbox;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    box = sandbox();
    daemon = await startDaemon(box);
  });
  afterAll(async () => {
    await daemon.stop();
    box.cleanup();
  });

  it('cannot name a file for the daemon to write', async () => {
    const target = join(box.dir, 'written-by-the-api.ndjson');
    const res = await daemon.request('POST', '/api/integrations/webhooks/log/configure', { name: 'sneaky', path: target });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/^path: registrations through the API cannot name file paths; set it in the operator's config file/);
    await daemon.request('POST', '/api/events', { type: 'session.started', data: { session: { id: 's' }, user: { id: 'u' } } });
    expect(existsSync(target)).toBe(false);
    expect((await daemon.request('GET', '/api/integrations/status')).body.destinations).toEqual([]);
  });

  it.each(['http://[::127.0.0.1]:8765/x', 'http://[::ffff:0:7f00:1]:8765/x', 'http://[::ffff:127.0.0.1]/x', 'http://[2002:7f00:1::]/x'])(
    'cannot target loopback through the IPv6 form %s',
    async (url) => {
      const res = await daemon.request('POST', '/api/integrations/webhooks', { url });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('blocked_target');
    },
  );
});

describe('caller mistakes answer 4xx', () => {
  let box: Sandbox;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    box = sandbox();
    daemon = await startDaemon(box, ['--max-body-bytes', '200000']);
  });
  afterAll(async () => {
    await daemon.stop();
    box.cleanup();
  });

  it.each(['/api/events/%E0%A4%A', '/api/deliveries/%ZZ', '/api/attempts?after=abc', '/api/deliveries?after=abc'])('GET %s is 400', async (path) => {
    const res = await daemon.request('GET', path);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
  });

  it.each([
    ['objects', '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000)],
    ['arrays', '['.repeat(20_000) + ']'.repeat(20_000)],
  ])('refuses %s nested 20,000 deep with 400', async (_kind, body) => {
    const res = await daemon.request('POST', '/api/events', `{"type":"video.generated","data":${body}}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/more than 64 levels deep/);
  });

  it('closes the connection after refusing a chunked body it did not read', async () => {
    const { host } = new URL(daemon.url);
    const chunk = 'x'.repeat(120_000);
    const answer = await onOneConnection(
      daemon.url,
      `POST /api/events HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n` +
        `${chunk.length.toString(16)}\r\n${chunk}\r\n` +
        // What follows would be read as the next request if the connection stayed open.
        `${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer.match(/HTTP\/1\.1 /g)).toHaveLength(1);
  });

  it('closes the connection after refusing a body declared too large', async () => {
    const { host } = new URL(daemon.url);
    const answer = await onOneConnection(
      daemon.url,
      `POST /api/events HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: 999999\r\n\r\n{"type":`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
  });
});

describe('the token rule', () => {
  it('is decided on the addresses a --host name resolves to', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to give the daemon its own /etc/hosts (unshare --mount); CI runs as root');
    const box = sandbox();
    try {
      // A name that looks like loopback but resolves to every interface, in a mount namespace of its own.
      const hosts = join(box.dir, 'hosts');
      writeFileSync(hosts, '0.0.0.0 127.looks-local.test\n');
      const result = await execa(
        'unshare',
        ['--mount', 'sh', '-c', `mount --bind "$0" /etc/hosts && exec node "$1" serve --host 127.looks-local.test --port 0`, hosts, BIN],
        { cwd: box.dir, env: box.env, reject: false, timeout: 20_000, stdin: 'ignore' },
      );
      expect(result.exitCode).toBe(2);
      expect(result.stderr).toMatch(/refusing to listen on 127\.looks-local\.test \(0\.0\.0\.0\) without a token/);
    } finally {
      box.cleanup();
    }
  });
});
