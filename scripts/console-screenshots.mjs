#!/usr/bin/env node
// Renews the console's screenshots in docs/images/ (README): a daemon with a few destinations,
// local receivers (one of them failing now and then), some traffic, then Chromium.
// `npm run screenshots` after `npm run build`.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';

const ROOT = resolve(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'vidhook-shots-'));

async function receiver(answer) {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { status, body, delayMs = 0 } = answer(n++);
      setTimeout(() => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body)), delayMs);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/hooks`, close: () => server.close() };
}

const partner = await receiver((n) => ({ status: 200, body: { ok: true }, delayMs: 20 + (n % 7) * 9 }));
const crm = await receiver((n) => (n % 4 === 3 ? { status: 503, body: { message: 'CRM maintenance window, retry later' } } : { status: 200, body: { id: n }, delayMs: 60 + (n % 5) * 30 }));
const zap = await receiver(() => ({ status: 200, body: { status: 'success' }, delayMs: 35 }));
writeFileSync(
  join(dir, 'vidhook.config.yaml'),
  `destinations:
  partner-webhook:
    connector: webhook
    url: ${partner.url}
    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
  crm-bridge:
    connector: webhook
    url: ${crm.url}
    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
    retry:
      schedule: [0s]
  zapier-catch:
    connector: zapier
    hookUrl: ${zap.url}
`,
);
const child = spawn('node', [join(ROOT, 'bin/vidhook.js'), 'serve', '--port', '0'], {
  cwd: dir,
  env: { ...process.env, VIDHOOK_DATA_DIR: join(dir, 'data'), VIDHOOK_CONFIG_DIR: join(dir, 'uc') },
});
const url = await new Promise((resolve, reject) => {
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
    const m = /listening on (http:\/\/\S+)/.exec(err);
    if (m) resolve(m[1]);
  });
  child.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${err}`)));
});

try {
  const types = [
    (i) => ({ type: 'video.completed', data: { video: { id: `vid_${i}`, title: `Product teaser #${i}`, url: `https://cdn.example.com/v/${i}.mp4` }, user: { id: `usr_${i % 9}` } } }),
    (i) => ({ type: 'user.registered', data: { user: { id: `usr_${i}`, email: `person${i}@example.com` } } }),
    (i) => ({ type: 'video.generated', data: { video: { id: `vid_${i}`, title: `Draft ${i}` }, user: { id: `usr_${i % 9}` } } }),
  ];
  for (let i = 0; i < 60; i++) {
    await fetch(`${url}/api/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(types[i % 3](i)) });
  }
  for (;;) {
    const { deliveries } = await (await fetch(`${url}/api/deliveries?status=pending,retrying,in_flight&limit=1`)).json();
    if (!deliveries.length) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const { deliveries } = await (await fetch(`${url}/api/deliveries?status=failed&order=newest&limit=1`)).json();

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  await page.goto(`${url}/console/`);
  await page.locator('.card canvas').first().waitFor();
  await page.waitForFunction(() => document.querySelectorAll('.card canvas').length >= 6);
  await page.screenshot({ path: join(ROOT, 'docs/images/console-overview.png') });
  await page.goto(`${url}/console/#/deliveries/${deliveries[0].id}`);
  await page.getByRole('heading', { name: /^Attempts/ }).waitFor();
  await page.screenshot({ path: join(ROOT, 'docs/images/console-delivery.png') });
  await browser.close();
  console.log('wrote docs/images/console-overview.png and docs/images/console-delivery.png');
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.on('exit', r));
  for (const r of [partner, crm, zap]) r.close();
  rmSync(dir, { recursive: true, force: true });
}
