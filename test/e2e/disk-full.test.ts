import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, openSync, writeSync, closeSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '../../src/client.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';

const EVENTS = 30;
const video = (i: number, description = '') => ({
  id: `evt_disk_${i}`,
  type: 'video.generated',
  data: { video: { id: `v${i}`, title: 'Teaser', description }, user: { id: 'u1' } },
});

/** Fills the file system holding `dir` to the last byte; returns the filler's path. */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  try {
    for (;;) writeSync(fd, block, 0, 512);
  } catch {
    // full to the last sector
  } finally {
    closeSync(fd);
  }
  return path;
}

const metric = (text: string, line: RegExp) => Number(line.exec(text)?.[1] ?? NaN);

describe('a full disk', () => {
  let box: Sandbox;
  let receiver: Receiver | undefined;
  let daemon: DaemonProcess | undefined;
  let mounted: string | undefined;

  afterEach(async () => {
    await daemon?.stop();
    await receiver?.close();
    if (mounted) execFileSync('umount', [mounted]);
    box?.cleanup();
  });

  it('holds delivery visibly, answers 503 rather than 500, and resumes by itself once space is back', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root to mount a small tmpfs as the data dir; CI runs as root');
    box = sandbox();
    const dataDir = join(box.dir, 'small-disk');
    mkdirSync(dataDir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dataDir]);
    mounted = dataDir;

    // The receiver holds every request until the disk is full, then answers with a large body,
    // so recording each attempt needs room the disk no longer has.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const big = 'r'.repeat(200_000);
    receiver = await startReceiver(async () => {
      await gate;
      return { status: 200, body: { big } };
    });
    box.writeConfig(`
destinations:
  partner:
    connector: webhook
    url: ${receiver.url}
retry:
  schedule: [0s, 1s]
`);
    daemon = await startDaemon(box, ['--data-dir', dataDir, '--min-free-disk-mb', '0']);
    const d = daemon;
    for (let i = 0; i < EVENTS; i++) expect((await d.request('POST', '/api/events', video(i))).status).toBe(202);
    await receiver.waitFor(1);

    const filler = fillDisk(dataDir);
    open();

    // 1. The lanes' failed writes are seen everywhere an operator looks.
    const ready = await eventually(async () => {
      const res = await d.request('GET', '/readyz');
      return res.status === 503 ? res.body : undefined;
    }, 30_000);
    expect(ready.reason).toMatch(/the store refuses writes since .*disk is full/);
    const metrics = (await d.request('GET', '/metrics')).body as string;
    expect(metric(metrics, /^vidhook_store_errors_total\{path="delivery"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(metric(metrics, /^vidhook_store_writable (\d+)$/m)).toBe(0);
    const status = (await d.request('GET', '/api/integrations/status')).body;
    expect(status.daemon.store).toMatchObject({ writable: false, error: expect.stringMatching(/disk is full/) });
    expect(status.destinations[0]).toMatchObject({ state: 'paused', reason: expect.stringMatching(/the store refuses writes .*resume by themselves/) });
    const cli = await box.run(['status', '--server', d.url]);
    expect(cli.stdout).toMatch(/store refuses writes: .*disk is full/);
    expect(d.output()).toMatch(/the store refuses writes: .*disk is full/);

    // 2. Events that find no room are answered 503 with Retry-After, never 500.
    const answers: Array<{ status: number; retryAfter: string | null }> = [];
    for (let i = 0; i < 60 && !answers.some((a) => a.status === 503); i++) {
      const res = await d.request('POST', '/api/events', video(1000 + i, 'd'.repeat(300_000)));
      answers.push({ status: res.status, retryAfter: res.headers.get('retry-after') });
    }
    expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    expect(answers.at(-1)).toEqual({ status: 503, retryAfter: expect.stringMatching(/^\d+$/) });
    const accepted = EVENTS + answers.filter((a) => a.status === 202).length;

    // The client library keeps sending while it is answered 503 …
    const client = createClient({ url: d.url, retryForMs: 120_000 });
    const emitted = client.emit('video.generated', { video: { id: 'late', title: 'Late' }, user: { id: 'u1' } }, { id: 'evt_disk_late' });

    // 3. … and once space is back, everything resumes without a restart.
    rmSync(filler);
    expect(await emitted).toMatchObject({ id: 'evt_disk_late', deliveries: 1 });
    await eventually(async () => (await d.request('GET', '/readyz')).status === 200, 30_000);
    const delivered = await eventually(async () => {
      const res = await d.request('GET', '/api/deliveries?status=succeeded&limit=1000');
      return res.body.deliveries.length === accepted + 1 ? res.body.deliveries : undefined;
    }, 60_000);
    expect(new Set(delivered.map((x: { eventId: string }) => x.eventId)).size).toBe(accepted + 1);
    expect(d.output()).toMatch(/the store takes writes again; delivery resumes/);
  }, 180_000);
});
