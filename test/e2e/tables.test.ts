import { afterEach, describe, expect, it } from 'vitest';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { sandbox, type Sandbox } from '../helpers/cli.js';

describe('tables look like tables', () => {
  let box: Sandbox;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    box.cleanup();
  });

  it('events list has a header row', async () => {
    box = sandbox();
    const result = await box.run(['events', 'list']);
    expect(result.exitCode).toBe(0);
    const [head, first] = result.stdout.split('\n');
    expect(head).toMatch(/^TYPE\s+DESCRIPTION\s+REQUIRED IN DATA$/);
    expect(first.indexOf('The generator')).toBe(head.indexOf('DESCRIPTION'));
  });

  it('tail aligns its columns across rows of different widths', async () => {
    box = sandbox();
    receiver = await startReceiver();
    box.writeConfig(
      `destinations:\n  a:\n    connector: webhook\n    url: ${receiver.url}\n    events: ['*']\n  partner-crm:\n    connector: webhook\n    url: ${receiver.url}\n    events: [video.failed]\n`,
    );
    expect((await box.run(['emit', 'user.registered', '--sample'])).exitCode).toBe(0);
    expect((await box.run(['emit', 'video.failed', '--sample'])).exitCode).toBe(0);
    const result = await box.run(['tail']);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const column = (line: string, text: RegExp) => line.search(text);
    const ids = lines.map((l) => column(l, /evt_/));
    const numbers = lines.map((l) => column(l, /#1/));
    expect(new Set(ids).size).toBe(1);
    expect(new Set(numbers).size).toBe(1);
  });
});
