#!/usr/bin/env node
// Measures the console against a store of 1,000,000 deliveries: the API's first page for each
// filter the deliveries page offers, and the time until the page shows its first rows in Chromium.
// Not a test: it prints figures. `node scripts/console-1m.mjs [deliveries]` after `npm run build`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';
import { SqliteStore } from '../dist/store/sqlite.js';
import { newId } from '../dist/events/ids.js';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const DESTINATIONS = ['crm', 'partner', 'slack', 'analytics'];
const TYPES = ['video.generated', 'video.completed', 'video.failed', 'user.registered'];
const BIN = resolve(import.meta.dirname, '../bin/vidhook.js');
const dir = mkdtempSync(join(tmpdir(), 'vidhook-1m-'));
const dataDir = join(dir, 'data');

function seed() {
  SqliteStore.open(dataDir).close();
  const db = new Database(join(dataDir, 'vidhook.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const events = db.prepare('INSERT INTO events (id, type, timestamp, received_at, body) VALUES (?, ?, ?, ?, ?)');
  const deliveries = db.prepare(
    `INSERT INTO deliveries (id, event_id, event_type, destination, state, attempts, next_at, created_at, updated_at, last_error)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const now = Date.now();
  const span = 7 * 86_400_000;
  const count = TOTAL / DESTINATIONS.length;
  let sampleEvent;
  const insert = db.transaction((from, to) => {
    for (let i = from; i < to; i++) {
      const at = now - span + Math.floor((i / count) * span);
      const id = newId('evt', at);
      const type = TYPES[i % TYPES.length];
      const body = JSON.stringify({ id, type, timestamp: new Date(at).toISOString(), data: { video: { id: `v${i}`, title: 'Teaser' }, user: { id: `u${i % 5000}` } } });
      events.run(id, type, new Date(at).toISOString(), at, body);
      if (i === Math.floor(count / 2)) sampleEvent = id;
      for (const [k, destination] of DESTINATIONS.entries()) {
        // 1 in 50 failed, spread through the log; the rest delivered.
        const failed = (i + k * 13) % 50 === 7;
        deliveries.run(newId('dlv', at), id, type, destination, failed ? 'failed' : 'succeeded', failed ? 8 : 1, at, at, at, failed ? 'HTTP 500: upstream unavailable' : null);
      }
    }
  });
  const started = Date.now();
  for (let i = 0; i < count; i += 10_000) insert(i, Math.min(count, i + 10_000));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  console.log(`seeded ${TOTAL.toLocaleString('en')} deliveries (${count.toLocaleString('en')} events) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return sampleEvent;
}

async function startDaemon() {
  writeFileSync(
    join(dir, 'vidhook.config.yaml'),
    `destinations:\n${DESTINATIONS.map((d) => `  ${d}:\n    connector: log\n    path: ${join(dir, `${d}.ndjson`)}\n`).join('')}`,
  );
  const child = spawn('node', [BIN, 'serve', '--port', '0'], { cwd: dir, env: { ...process.env, VIDHOOK_DATA_DIR: dataDir, VIDHOOK_CONFIG_DIR: join(dir, 'uc') } });
  const url = await new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`daemon exited ${code}: ${err}`)));
  });
  return { url, stop: () => new Promise((r) => (child.on('exit', r), child.kill('SIGTERM'))) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeApi(url, query, runs = 7) {
  const times = [];
  let rows = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const res = await fetch(`${url}/api/deliveries?order=newest&limit=50${query}`);
    rows = (await res.json()).deliveries.length;
    times.push(performance.now() - t);
  }
  return { ms: median(times), rows };
}

const sampleEvent = seed();
const daemon = await startDaemon();
try {
  console.log('\nGET /api/deliveries, first page of 50, newest first (median of 7):');
  const filters = {
    'no filter': '',
    'status=failed': '&status=failed',
    'destination=crm': '&destination=crm',
    'type=video.failed': '&type=video.failed',
    'status=failed&destination=crm': '&status=failed&destination=crm',
    'since=1h': '&since=1h',
    'until=3d (older than 3 days)': '&until=3d',
    'event=<id> (search)': `&event=${sampleEvent}`,
    'status=pending (none match)': '&status=pending',
  };
  for (const [name, q] of Object.entries(filters)) {
    const { ms, rows } = await timeApi(daemon.url, q);
    console.log(`  ${name.padEnd(34)} ${ms.toFixed(1).padStart(8)} ms  (${rows} rows)`);
  }
  for (const path of ['/api/stats?window=1h', '/api/stats?window=24h', '/api/integrations/status']) {
    const t = performance.now();
    await fetch(`${daemon.url}${path}`).then((r) => r.json());
    console.log(`GET ${path}: ${(performance.now() - t).toFixed(1)} ms`);
  }

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const renders = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await page.goto(`${daemon.url}/console/?r=${i}#/deliveries?status=failed`);
    await page.locator('tbody tr').first().waitFor();
    // The page's own clock, from the start of its navigation: what the browser spent, not Playwright.
    renders.push(await page.evaluate('performance.now()'));
  }
  const cold = [];
  for (let i = 0; i < 3; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const p = await context.newPage();
    const t = performance.now();
    await p.goto(`${daemon.url}/console/#/deliveries`);
    await p.locator('tbody tr').first().waitFor();
    cold.push(await p.evaluate('performance.now()'));
    process.stdout.write(`  (with the context's start-up, as Playwright saw it: ${(performance.now() - t).toFixed(0)} ms)\n`);
    await context.close();
  }
  await browser.close();
  console.log(`\ndeliveries page, from the start of navigation to its first rows on screen (the page's performance.now()):`);
  console.log(`  fresh browser context (assets not cached), no filter: median ${median(cold).toFixed(0)} ms of ${cold.map((x) => x.toFixed(0)).join(', ')}`);
  console.log(`  status=failed, assets cached: median ${median(renders).toFixed(0)} ms of ${renders.map((x) => x.toFixed(0)).join(', ')}`);
} finally {
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
}
