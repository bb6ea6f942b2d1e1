import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BIN, sandbox, type Sandbox } from '../helpers/cli.js';

const COMPLETIONS = resolve(import.meta.dirname, '../../completions');

describe('vidhook completion', () => {
  let box: Sandbox;
  let shimDir: string;

  beforeAll(async () => {
    box = sandbox();
    box.writeConfig('destinations:\n  partner:\n    connector: webhook\n    url: https://partner.example.com/hooks\n');
    const saved = await box.run(['configure', 'slack', '--name', 'team-slack', '--set', 'webhookUrl=https://hooks.slack.com/services/T1/B1/abcdefghijkl']);
    expect(saved.exitCode).toBe(0);
    // The scripts call `vidhook __complete destinations`: put a vidhook on PATH that runs the built CLI.
    shimDir = join(box.dir, 'bin');
    mkdirSync(shimDir);
    writeFileSync(join(shimDir, 'vidhook'), `#!/bin/sh\nexec node ${JSON.stringify(BIN)} "$@"\n`);
    chmodSync(join(shimDir, 'vidhook'), 0o755);
  });
  afterAll(() => box.cleanup());

  it.each(['bash', 'zsh', 'fish'])('the committed completions/vidhook.%s is what `vidhook completion` prints', async (shell) => {
    const result = await box.run(['completion', shell]);
    expect(result.exitCode).toBe(0);
    const committed = readFileSync(join(COMPLETIONS, `vidhook.${shell}`), 'utf8');
    // On drift, regenerate: for s in bash zsh fish; do node bin/vidhook.js completion $s > completions/vidhook.$s; done
    expect(committed).toBe(`${result.stdout}\n`);
  });

  it('an unknown shell is a usage error', async () => {
    const result = await box.run(['completion', 'powershell']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('expected one of bash, zsh, fish');
  });

  it('__complete destinations lists user-store and project-file names, and is hidden from help', async () => {
    const result = await box.run(['__complete', 'destinations']);
    expect(result.stdout.split('\n')).toEqual(['partner', 'team-slack']);
    expect((await box.run(['--help'])).stdout).not.toContain('__complete');
  });

  /** Completes `line` (the cursor at its end) with the generated bash script, in a real bash. */
  async function bashComplete(line: string): Promise<string[]> {
    const words = line.split(' ');
    const script = [
      `source ${JSON.stringify(join(COMPLETIONS, 'vidhook.bash'))}`,
      `COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(' ')})`,
      `COMP_CWORD=${words.length - 1}`,
      '_vidhook',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const result = await execa('bash', ['--norc', '--noprofile', '-c', script], {
      cwd: box.dir,
      env: { ...box.env, PATH: `${shimDir}:${process.env.PATH}` },
    });
    return result.stdout.split('\n').filter(Boolean);
  }

  it.each([
    ['vidhook de', ['deliveries', 'destinations']],
    ['vidhook destinations ', ['list', 'show', 'remove', 'enable', 'disable', 'test']],
    ['vidhook destinations show ', ['partner', 'team-slack']],
    ['vidhook emit --to ', ['partner', 'team-slack']],
    ['vidhook emit video.c', ['video.completed']],
    ['vidhook configure sl', ['slack']],
    ['vidhook tail --status ', ['ok', 'retrying', 'failed', 'skipped']],
    ['vidhook completion ', ['bash', 'zsh', 'fish']],
    ['vidhook --json destinations te', ['test']],
  ])('bash completes "%s"', async (line, expected) => {
    expect(await bashComplete(line)).toEqual(expected);
  });

  it('bash completes each command’s own options and the global ones', async () => {
    const options = await bashComplete('vidhook emit video.completed --d');
    expect(options).toEqual(['--data', '--dry-run', '--data-dir']);
  });

  it('every command in --help has a completion', async () => {
    const help = (await box.run(['--help'])).stdout;
    const commands = [...help.split('Commands:')[1].matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    const roots = (await bashComplete('vidhook ')).sort();
    expect(roots).toEqual(commands.sort());
  });
});
