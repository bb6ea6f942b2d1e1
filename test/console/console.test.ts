import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/daemon.js';
import { accessibilityProblems, closeBrowser, setUp, videoEvent, type Setup } from './setup.js';

// A browser and a daemon per test: slow on a busy machine, hence the generous limit (no test measures time).
describe('the console in a browser', { timeout: 120_000 }, () => {
  let s: Setup | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });
  afterAll(closeBrowser);

  it('lists every destination on the overview with its connector and state', async () => {
    s = await setUp({ partner: () => ({ status: 200 }), crm: () => ({ status: 200 }) });
    await s.page.goto(`${s.daemon.url}/`);
    await s.page.waitForURL(/\/console\/$/);
    const partner = s.page.getByRole('article', { name: 'partner' });
    const crm = s.page.getByRole('article', { name: 'crm' });
    await partner.waitFor();
    await crm.waitFor();
    expect(await partner.textContent()).toContain('webhook');
    expect(await partner.locator('.badge').first().textContent()).toBe('enabled');
    expect(await s.page.getByRole('heading', { name: 'Events accepted' }).isVisible()).toBe(true);
    expect(await accessibilityProblems(s.page)).toEqual([]);
    expect(s.problems).toEqual([]);
  });

  it("shows a failing receiver's delivery as failed with its error, and Retry's new attempt without a reload", async () => {
    s = await setUp({ partner: () => ({ status: 500, body: { message: 'database is down' } }) });
    await s.daemon.request('POST', '/api/events', videoEvent('evt_console_fail'));
    await s.receivers.partner.waitFor(1);

    await s.page.goto(`${s.daemon.url}/console/#/deliveries?status=failed`);
    const row = s.page.locator('tbody tr', { hasText: 'evt_console_fail' });
    await row.waitFor();
    expect(await row.locator('.badge').textContent()).toBe('failed');
    expect(await row.textContent()).toMatch(/500/);
    expect(await accessibilityProblems(s.page)).toEqual([]);

    await row.getByRole('link', { name: /^dlv_/ }).click();
    await s.page.getByRole('heading', { name: 'Attempts (1)' }).waitFor();
    expect(await s.page.getByText('database is down').first().isVisible()).toBe(true);
    expect(await accessibilityProblems(s.page)).toEqual([]);

    s.receivers.partner.respond(() => ({ status: 200, body: { ok: true } }));
    // The stream brings the new attempt; the page is not reloaded (the marker survives).
    await s.page.evaluate('window.marker = true');
    await s.page.getByRole('button', { name: 'Retry' }).click();
    await s.receivers.partner.waitFor(2);
    await s.page.getByRole('heading', { name: 'Attempts (2)' }).waitFor();
    await s.page.locator('.attempt', { hasText: 'Attempt 2' }).locator('.badge', { hasText: 'ok' }).waitFor();
    expect(await s.page.evaluate('window.marker')).toBe(true);
    expect(s.problems).toEqual([]);
  });

  it('shows new attempts on the deliveries page as they happen', async () => {
    s = await setUp({ partner: () => ({ status: 200 }) });
    await s.page.goto(`${s.daemon.url}/console/#/deliveries`);
    await s.page.getByRole('status').filter({ hasText: /^Live/ }).waitFor();
    await s.daemon.request('POST', '/api/events', videoEvent('evt_console_live'));
    const row = s.page.locator('tbody tr', { hasText: 'evt_console_live' });
    await row.locator('.badge', { hasText: 'succeeded' }).waitFor();
  });

  it('finds a delivery by its event id, and the link keeps the search', async () => {
    s = await setUp({ partner: () => ({ status: 200 }) });
    await s.daemon.request('POST', '/api/events', { events: ['evt_console_a', 'evt_console_b', 'evt_console_c'].map(videoEvent) });
    await eventually(async () => (await s!.daemon.request('GET', '/api/deliveries?status=succeeded')).body.deliveries.length === 3);

    await s.page.goto(`${s.daemon.url}/console/#/deliveries`);
    await s.page.locator('tbody tr').nth(2).waitFor();
    await s.page.getByLabel('Event id').fill('evt_console_b');
    await s.page.getByRole('button', { name: 'Search' }).click();
    await s.page.waitForURL(/event=evt_console_b/);
    await eventually(async () => (await s!.page.locator('tbody tr').count()) === 1);
    expect(await s.page.locator('tbody tr').textContent()).toContain('evt_console_b');

    await s.page.reload();
    await s.page.locator('tbody tr', { hasText: 'evt_console_b' }).waitFor();
    expect(await s.page.locator('tbody tr').count()).toBe(1);
  });

  it('asks for the token when the daemon has one, and opens with it', async () => {
    s = await setUp({ partner: () => ({ status: 200 }) }, { token: 'console-secret-token' });
    await s.page.goto(`${s.daemon.url}/console/`);
    const field = s.page.getByLabel('Token');
    await field.waitFor();
    expect(await field.getAttribute('type')).toBe('password');
    expect(await s.page.getByRole('article', { name: 'partner' }).count()).toBe(0);
    expect(await accessibilityProblems(s.page)).toEqual([]);

    await field.fill('wrong-token');
    await s.page.getByRole('button', { name: 'Open the console' }).click();
    await s.page.getByText('The daemon refused this token.').waitFor();
    expect(await s.page.getByRole('article', { name: 'partner' }).count()).toBe(0);

    await field.fill('console-secret-token');
    await s.page.getByRole('button', { name: 'Open the console' }).click();
    await s.page.getByRole('article', { name: 'partner' }).waitFor();
    // Kept for the tab only, and never put in a URL.
    expect(await s.page.evaluate("sessionStorage.getItem('vidhook.token')")).toBe('console-secret-token');
    expect(await s.page.evaluate('localStorage.length')).toBe(0);
    expect(s.page.url()).not.toContain('console-secret-token');

    // The live stream is read with the bearer header (EventSource could not send it).
    await s.page.goto(`${s.daemon.url}/console/#/deliveries`);
    await s.page.getByRole('status').filter({ hasText: /^Live/ }).waitFor();
  });

  it('is usable on a phone-sized screen', async () => {
    s = await setUp({ partner: () => ({ status: 200 }) }, { viewport: { width: 390, height: 800 } });
    await s.page.goto(`${s.daemon.url}/console/`);
    await s.page.getByRole('article', { name: 'partner' }).waitFor();
    const overflow = await s.page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    expect(await s.page.getByRole('button', { name: 'Disable' }).isVisible()).toBe(true);
  });
});
