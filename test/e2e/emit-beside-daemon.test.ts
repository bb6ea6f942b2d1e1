import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';
import { startDaemon, eventually, type DaemonProcess } from '../helpers/daemon.js';

describe('emit beside a daemon on the same data dir', () => {
  let box: Sandbox;
  let receiver: Receiver;
  let daemon: DaemonProcess;

  afterEach(async () => {
    await daemon.stop();
    await receiver.close();
    box.cleanup();
  });

  it('hands the event to the daemon and returns, rather than wait on the daemon\'s schedule', async () => {
    box = sandbox();
    // A failing receiver: the daemon's schedule puts the second try 30 minutes out.
    receiver = await startReceiver(() => ({ status: 500, body: { error: 'down' } }));
    box.writeConfig(`
destinations:
  partner:
    connector: webhook
    url: ${receiver.url}
retry:
  schedule: [0s, 30m]
`);
    daemon = await startDaemon(box);
    const result = await box.run(['emit', 'video.generated', '--sample', '--id', 'evt_beside'], { timeout: 30_000 });
    expect(result.stderr).not.toMatch(/not reachable/);
    expect(result.stdout).toContain(`evt_beside accepted by ${daemon.url} for 1 destination(s)`);
    expect(result.exitCode).toBe(0);
    await receiver.waitFor(1);
    const event = await eventually(async () => {
      const res = await daemon.request('GET', '/api/events/evt_beside');
      return res.body.deliveries?.[0]?.state === 'retrying' ? res.body : undefined;
    });
    expect(event.deliveries[0].attempts).toBe(1);
  });
});
