import { afterEach, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BIN, sandbox, type Sandbox } from '../helpers/cli.js';
import { eventually } from '../helpers/daemon.js';

/** The ```sh blocks of the README's Quick start, as written. */
function quickStartBlocks(): string[] {
  const readme = readFileSync(resolve(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.split('\n## Quick start\n')[1].split('\n## ')[0];
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
}

describe("the README's Quick start, run as written", () => {
  let box: Sandbox;
  let listener: ResultPromise | undefined;
  afterEach(async () => {
    listener?.kill('SIGINT');
    await listener?.catch(() => undefined);
    box.cleanup();
  });

  it('runs with `vidhook` on the PATH as `npm link` puts it there', async () => {
    const [listen, emit, slack, ...rest] = quickStartBlocks();
    expect(rest).toEqual([]);
    box = sandbox();
    // What `npm link` does: a `vidhook` on the PATH linking to this clone's bin/vidhook.js.
    const bin = join(box.dir, 'global-bin');
    mkdirSync(bin);
    symlinkSync(BIN, join(bin, 'vidhook'));
    const env = { ...box.env, PATH: `${bin}:${process.env.PATH}` };
    const sh = (script: string) => execa('bash', ['-e', '-c', script], { cwd: box.dir, env, reject: false, stdin: 'ignore' });

    let heard = '';
    listener = sh(listen);
    listener.stdout!.on('data', (d: Buffer) => (heard += d.toString()));
    listener.stderr!.on('data', (d: Buffer) => (heard += d.toString()));
    await eventually(() => /8787/.test(heard));

    const sent = await sh(emit);
    expect(sent.exitCode, sent.stderr).toBe(0);
    // The comment under the command shows the output: the same words, any duration.
    const expected = /^#\s*(.*)$/m.exec(emit)![1].trim().split(/\s+/).map((w) => (/^\d+$/.test(w) && w !== '200' ? '\\d+' : w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    expect(sent.stdout).toMatch(new RegExp(expected.join('\\s+')));
    await eventually(() => /video\.generated/.test(heard) && /signature ✓/.test(heard));

    // The Slack block holds a placeholder for the reader's own URL: it is refused, saying so.
    const placeholder = await sh(slack);
    expect(placeholder.exitCode).toBe(2);
    expect(placeholder.stderr).toMatch(/webhookUrl: is a placeholder/);
  });
});
