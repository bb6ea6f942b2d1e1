import { execSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ga4 } from '../../src/connectors/ga4/index.js';
import { meta } from '../../src/connectors/meta/index.js';
import { SkipDelivery } from '../../src/connectors/core/errors.js';
import type { Connector, ConnectorTarget } from '../../src/connectors/core/types.js';
import { createHttp } from '../../src/delivery/http.js';
import { BUILTIN_EVENT_TYPES, buildEnvelope, SAMPLES, type Envelope } from '../../src/events/index.js';
import { memoryContext } from '../helpers/context.js';

// vidhook/browser in headless Chromium: a page that loads the built module next to recording
// stand-ins for gtag.js and the Meta Pixel, compared call by call with what the ga4 and meta
// connectors send for the same event.

const BUNDLE = new URL('../../dist/browser/index.js', import.meta.url);
const NOW = new Date('2026-11-27T19:45:00.000Z');
const COOKIES = {
  _ga: 'GA1.1.1197596843.1732736400',
  _fbp: 'fb.1.1732736400000.1098115397',
  _fbc: 'fb.1.1732736400000.IwAR2F4-dbP0l7Mn1IawQQGCINEz7PYXQvwjNwB_qa2ofrHyiLjcbCRxTDMgk',
};
const CUSTOM_TYPE = 'order.paid';

const RECORDERS = `<script>
  window.calls = [];
  window.dataLayer = [];
  function gtag() { calls.push(['gtag', ...arguments]); }
  function fbq() { calls.push(['fbq', ...arguments]); }
</script>`;
const LOADER = `<script type="module">
  import { track, clientContext } from '/vidhook-browser.js';
  window.vidhook = { track, clientContext };
</script>`;

type Call = [string, ...unknown[]];
// The page's globals, as the recorders and the loader leave them.
interface Window {
  navigator: { userAgent: string };
  calls: Call[];
  vidhook: typeof import('../../src/browser/index.js');
}

function chromiumPath(): string {
  try {
    return execSync('command -v chromium', { shell: '/bin/sh', encoding: 'utf8' }).trim();
  } catch {
    throw new Error('chromium is not installed: apt-get install -y chromium (.ci/run does this)');
  }
}

let browser: Browser;
let server: Server;
let origin: string;
let studio: Page;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error('dist/browser/index.js is missing: run npm run build first');
  const bundle = readFileSync(BUNDLE);
  server = createServer((req, res) => {
    const html = (body: string, cookies: string[] = []) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': cookies });
      res.end(`<!doctype html><title>studio</title>${body}`);
    };
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/vidhook-browser.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(bundle);
    } else if (url.pathname === '/studio') html(RECORDERS + LOADER, Object.entries(COOKIES).map(([k, v]) => `${k}=${v}; Path=/`));
    else if (url.pathname === '/bare') html(LOADER);
    else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    args: ['--no-sandbox', '--headless=new', '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1', '--no-proxy-server'],
  });
  studio = await open('/studio');
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function open(path: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${origin}${path}`);
  await page.waitForFunction(() => 'vidhook' in globalThis);
  return page;
}

function sampleEvent(type: string): Envelope {
  const id = `evt_${type.replace(/\W/g, '_')}_01`;
  const timestamp = new Date(NOW.getTime() - 5 * 60_000).toISOString();
  if (type === CUSTOM_TYPE) {
    return buildEnvelope({ id, type, timestamp, data: { user: { id: 'usr_8f3k2m' }, amountCents: 1200, plan: 'pro', order: { id: 'ord_7' } } }, { customTypes: [CUSTOM_TYPE] });
  }
  return buildEnvelope({ id, type, timestamp, data: SAMPLES[type as keyof typeof SAMPLES]() });
}

/** The studio page, its recorded calls emptied. */
async function studioPage(): Promise<Page> {
  await studio.evaluate(() => {
    (globalThis as unknown as Window).calls.length = 0;
  });
  return studio;
}

/** The request bodies a connector would send for the event, from a dry run; undefined when it skips the type. */
async function dryRunBodies<S>(connector: Connector<S>, settings: unknown, event: Envelope): Promise<unknown[] | undefined> {
  const destination: ConnectorTarget<S> = { name: connector.kind, settings: connector.settings.parse(settings) as S };
  const http = createHttp({ dryRun: true });
  try {
    await connector.deliver(event, destination, http, memoryContext(() => NOW));
  } catch (error) {
    if (error instanceof SkipDelivery) return undefined;
    throw error;
  }
  return http.exchanges.map((x) => JSON.parse(String(x.request.body)));
}

const VISIT_PARAMS = ['session_id', 'engagement_time_msec', 'page_location'];

describe('vidhook/browser in Chromium', () => {
  it.each([...BUILTIN_EVENT_TYPES, CUSTOM_TYPE])('tracks %s with the names, params and event id the ga4 and meta connectors send', async (type) => {
    const page = await studioPage();
    const event = sampleEvent(type);
    const { context, calls } = await page.evaluate((e) => {
      const w = globalThis as unknown as Window;
      const context = w.vidhook.clientContext();
      w.vidhook.track(e);
      return { context, calls: w.calls };
    }, event);

    // The application sends its server event with the browser's context.
    const server = buildEnvelope({ ...event, data: { ...event.data, context: { ...(event.data.context as object), ...context } } }, { customTypes: [CUSTOM_TYPE] });
    const ga4Bodies = (await dryRunBodies(ga4, { measurementId: 'G-VIDHOOK42', apiSecret: 'mp-secret' }, server)) as Array<{
      client_id: string;
      events: Array<{ name: string; params: Record<string, unknown> }>;
    }>;
    const metaBodies = (await dryRunBodies(meta, { pixelId: '123456789012345', accessToken: 'EAAB-token' }, server)) as
      | Array<{ data: Array<{ event_name: string; event_id: string; custom_data?: Record<string, unknown>; user_data: Record<string, unknown> }> }>
      | undefined;

    const [serverGa4] = ga4Bodies[0].events;
    const ownParams = Object.fromEntries(Object.entries(serverGa4.params).filter(([name]) => !VISIT_PARAMS.includes(name)));
    expect(ga4Bodies[0].client_id).toBe('1197596843.1732736400');
    expect(calls.filter((c) => c[0] === 'gtag')).toEqual([['gtag', 'event', serverGa4.name, ownParams]]);

    const pixel = calls.filter((c) => c[0] === 'fbq');
    if (!metaBodies) {
      expect(pixel).toEqual([]);
      return;
    }
    const [serverEvent] = metaBodies[0].data;
    const command = serverEvent.event_name === 'CompleteRegistration' ? 'track' : 'trackCustom';
    expect(pixel).toEqual([['fbq', command, serverEvent.event_name, serverEvent.custom_data ?? {}, { eventID: serverEvent.event_id }]]);
    expect(serverEvent.event_id).toBe(event.id);
    expect(serverEvent.user_data).toMatchObject({ fbp: COOKIES._fbp, fbc: COOKIES._fbc });
  });

  it('reads the client context from the _ga, _fbp and _fbc cookies and the page', async () => {
    const page = await open('/studio?utm_source=newsletter');
    const { context, userAgent } = await page.evaluate(() => ({
      context: (globalThis as unknown as Window).vidhook.clientContext(),
      userAgent: (globalThis as unknown as Window).navigator.userAgent,
    }));
    expect(context).toEqual({
      gaClientId: '1197596843.1732736400',
      fbp: COOKIES._fbp,
      fbc: COOKIES._fbc,
      userAgent,
      pageUrl: `${origin}/studio?utm_source=newsletter`,
    });
  });

  it('builds fbc from an ad click id in the URL when the Pixel has not stored _fbc yet', async () => {
    const page = await open('/bare?fbclid=IwAR2F4-dbP0l7');
    const context = await page.evaluate(() => (globalThis as unknown as Window).vidhook.clientContext());
    expect(context.fbc).toMatch(/^fb\.1\.\d{13}\.IwAR2F4-dbP0l7$/);
    expect(context).not.toHaveProperty('gaClientId');
    expect(context).not.toHaveProperty('fbp');
  });

  it('does nothing and throws nothing on a page without gtag.js or the Pixel', async () => {
    const page = await open('/bare');
    const event = sampleEvent('user.registered');
    const result = await page.evaluate((e) => {
      const w = globalThis as unknown as Window;
      return { tracked: w.vidhook.track(e), context: w.vidhook.clientContext() };
    }, event);
    expect(result.tracked).toEqual({});
    expect(Object.keys(result.context).sort()).toEqual(['pageUrl', 'userAgent']);
  });

  it.each([
    [{ id: 'not an id', type: 'user.registered', data: {} }, 'vidhook/browser: track(user.registered) needs the id of the server event (1-128 of A-Z a-z 0-9 _ -)'],
    [{ id: 'evt_1', type: 'video.failed', data: { video: { id: 'vid_1' } } }, 'vidhook/browser: track(video.failed) needs data.error, an object'],
    [{ id: 'evt_1', data: {} }, 'vidhook/browser: track(event) needs the event type'],
  ])('refuses an event it cannot map, saying what is missing: %j', async (event, message) => {
    const page = await studioPage();
    const error = await page.evaluate((e) => {
      try {
        (globalThis as unknown as Window).vidhook.track(e as never);
        return undefined;
      } catch (thrown) {
        return { name: (thrown as Error).name, message: (thrown as Error).message, calls: (globalThis as unknown as Window).calls.length };
      }
    }, event);
    expect(error).toEqual({ name: 'TypeError', message, calls: 0 });
  });
});
