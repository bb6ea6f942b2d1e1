import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { resolve } from 'node:path';
import { BIN } from '../helpers/cli.js';

const CLIENT = resolve(import.meta.dirname, '../../clients/python');

describe('the Python client', () => {
  // Its unittest suite starts the built daemon itself (it stops and restarts one mid-emit) and a local receiver.
  it('passes its unittest suite against the real daemon', async () => {
    const result = await execa('python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v'], {
      cwd: CLIENT,
      env: { VIDHOOK_BIN: BIN, PYTHONDONTWRITEBYTECODE: '1' },
      reject: false,
      timeout: 240_000,
    });
    expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stderr).toMatch(/^Ran \d+ tests/m);
    expect(result.stderr).not.toMatch(/skipped/);
  }, 300_000);
});
