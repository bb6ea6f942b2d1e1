import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BIN, sandbox, type Sandbox } from '../helpers/cli.js';

const RECORDER = resolve(import.meta.dirname, '../helpers/record-imports.mjs');
const HEAVY = ['undici', 'better-sqlite3', '@inquirer/prompts', 'zod', 'conf', 'cosmiconfig', 'chalk'];

/** The packages (under node_modules) the ESM loader resolved during one run of the CLI. */
async function packagesLoaded(box: Sandbox, args: string[]): Promise<{ packages: Set<string>; stdout: string }> {
  const log = join(box.dir, `imports-${args.join('-').replace(/[^a-z]/gi, '')}.log`);
  const result = await execa('node', ['--import', RECORDER, BIN, ...args], {
    cwd: box.dir,
    env: { ...box.env, VIDHOOK_IMPORT_LOG: log },
    reject: false,
    stdin: 'ignore',
  });
  expect(result.exitCode).toBe(0);
  const packages = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n')) {
    const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (m) packages.add(m[1]);
  }
  return { packages, stdout: result.stdout };
}

describe('start-up', () => {
  let box: Sandbox;
  beforeEach(() => {
    box = sandbox();
  });
  afterEach(() => box.cleanup());

  it.each([['--help'], ['--version'], ['destinations', '--help']])('%s loads no heavy module', async (...args) => {
    const { packages } = await packagesLoaded(box, args);
    expect(packages.has('commander')).toBe(true);
    expect(HEAVY.filter((p) => packages.has(p))).toEqual([]);
  });

  it('the recorder does see heavy modules when a command needs them', async () => {
    const { packages } = await packagesLoaded(box, ['connectors', '--json']);
    expect(packages.has('zod')).toBe(true);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string };
    const result = await box.run(['--version']);
    expect(result.stdout).toBe(version);
  });

  it('bench/startup.js measures node, --version and --help and gives ratios', async () => {
    const { measureStartup } = (await import('../../bench/startup.js')) as {
      measureStartup(o: { runs: number; warmup: number }): Array<{ name: string; meanMs: number; medianMs: number; meanRatio: number }>;
    };
    const results = measureStartup({ runs: 2, warmup: 0 });
    expect(results.map((r) => r.name)).toEqual(['node -e 0', 'vidhook --version', 'vidhook --help']);
    expect(results[0].meanRatio).toBe(1);
    for (const r of results) expect(r.meanMs).toBeGreaterThan(0);
  });
});
