import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const APP = resolve(import.meta.dirname, '../../integrations/zapier');

// The Zapier app is a package of its own (CommonJS, zapier-platform-core); its tests run with
// node's test runner against the daemon built in dist/. This runs them as part of `npm test`.
describe('the Zapier app (integrations/zapier)', () => {
  it('passes its own tests: schema validation, and every trigger and action against a real daemon', async () => {
    expect(existsSync(resolve(APP, 'node_modules/zapier-platform-core')), `install the app's dependencies first: npm ci --prefix integrations/zapier`).toBe(true);
    const result = await execa('npm', ['test', '--prefix', APP], { reject: false, all: true, env: { NO_COLOR: '1' } });
    expect(result.exitCode, result.all).toBe(0);
    expect(result.all).toMatch(/# fail 0/);
  }, 240_000);
});
