'use strict';
// A stand-in for a Zapier REST hook URL: a real local HTTP server that records what it is posted
// and answers as hooks.zapier.com does.
const { createServer } = require('node:http');

async function startHook() {
  const received = [];
  const waiting = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ method: req.method, path: req.url, headers: req.headers, body: JSON.parse(body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success' }));
      for (const w of waiting.splice(0)) w();
    });
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/hooks/standard/1234567/0b7e4e2c-1b9c-4f2a-9a57-1d2f3c4b5a69/`,
    received,
    /** Resolves once `count` requests have arrived. */
    async waitFor(count) {
      while (received.length < count) await new Promise((r) => waiting.push(r));
      return received;
    },
    close: () => new Promise((done) => server.close(done)),
  };
}

module.exports = { startHook };
