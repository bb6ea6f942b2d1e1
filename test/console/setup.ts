import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { startReceiver, type Receiver, type Responder } from '../helpers/receiver.js';
import { launchBrowser } from '../helpers/browser.js';

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export const videoEvent = (id: string) => ({ type: 'video.generated', id, data: { video: { id: 'v1', title: 'Teaser' }, user: { id: 'u1' } } });

export interface Setup {
  box: Sandbox;
  daemon: DaemonProcess;
  receivers: Record<string, Receiver>;
  browser: Browser;
  page: Page;
  /** The page's uncaught errors and CSP refusals, which no test should see. */
  problems: string[];
  close(): Promise<void>;
}

/** A real daemon with webhook destinations pointing at real receivers, and a Chromium page. */
let shared: Promise<Browser> | undefined;
/** One Chromium for the file's tests; each test gets a fresh context (its own storage). */
export const sharedBrowser = () => (shared ??= launchBrowser());
export async function closeBrowser(): Promise<void> {
  if (shared) await (await shared).close();
  shared = undefined;
}

export async function setUp(responders: Record<string, Responder>, options: { token?: string; viewport?: { width: number; height: number } } = {}): Promise<Setup> {
  const box = sandbox();
  const receivers: Record<string, Receiver> = {};
  const lines = ['destinations:'];
  for (const [name, responder] of Object.entries(responders)) {
    receivers[name] = await startReceiver(responder);
    lines.push(`  ${name}:`, '    connector: webhook', `    url: ${receivers[name].url}`, `    secret: ${SECRET}`, '    retry:', '      schedule: [0s]');
  }
  box.writeConfig(`${lines.join('\n')}\n`);
  const daemon = await startDaemon(box, options.token ? ['--token', options.token] : [], options.token);
  const browser = await sharedBrowser();
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/status of 401/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return {
    box,
    daemon,
    receivers,
    browser,
    page,
    problems,
    async close() {
      await context.close();
      await daemon.stop();
      for (const r of Object.values(receivers)) await r.close();
      box.cleanup();
    },
  };
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical findings on the page as it is now. */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // The console's CSP forbids inline scripts, so axe is evaluated as a function body instead.
  await page.evaluate(AXE);
  const results = await page.evaluate<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }>(
    "axe.run(document, { resultTypes: ['violations'] })",
  );
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}
