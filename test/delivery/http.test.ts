import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttp } from '../../src/delivery/http.js';
import { RetryableError } from '../../src/connectors/core/errors.js';

describe('the http door against a server', () => {
  let server: Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    server = undefined;
  });
  const serve = async (handler: Parameters<typeof createServer>[1]): Promise<string> => {
    server = createServer(handler);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  };

  it('ends an exchange at its deadline even while the body keeps trickling in', async () => {
    // Each chunk comes well within the body timeout; only the overall deadline can stop it.
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const drip = setInterval(() => res.write('.'), 50);
      setTimeout(() => (clearInterval(drip), res.end()), 3000);
      res.on('close', () => clearInterval(drip));
    });
    const http = createHttp({ timeoutMs: 400 });
    const failure = await http.request({ method: 'GET', url }).catch((err) => err);
    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure.message).toMatch(/timed out/);
    expect(http.exchanges[0]?.error).toMatch(/timed out/);
  });

  it('reads at most maxResponseBytes of an answer, whether or not its size is declared', async () => {
    const url = await serve((req, res) => {
      const body = 'x'.repeat(5000);
      if (req.url === '/?declared') res.writeHead(200, { 'content-length': String(body.length) });
      else res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.end(body);
    });
    const http = createHttp();
    expect((await http.request({ method: 'GET', url: `${url}?declared`, maxResponseBytes: 1000 })).bytes.length).toBe(1000);
    expect((await http.request({ method: 'GET', url, maxResponseBytes: 1000 })).bytes.length).toBe(1000);
    expect((await http.request({ method: 'GET', url })).bytes.length).toBe(5000);
  });
});
