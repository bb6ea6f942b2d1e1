import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, resolveDestinations, UserStore } from '../src/config/index.js';

describe('configuration', () => {
  const dirs: string[] = [];
  const tmp = () => {
    const dir = mkdtempSync(join(tmpdir(), 'vidhook-config-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  const env = (dir: string, extra: Record<string, string> = {}) => ({ VIDHOOK_CONFIG_DIR: join(dir, 'user'), ...extra });

  it('finds the project file from a subdirectory up to the project root', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'package.json'), '{"name":"app"}');
    writeFileSync(join(dir, '.vidhookrc.json'), JSON.stringify({ destinations: { a: { connector: 'log' } } }));
    mkdirSync(join(dir, 'src', 'deep'), { recursive: true });
    const config = await loadConfig({ cwd: join(dir, 'src', 'deep'), env: env(dir) });
    expect(config.projectFile).toBe(join(dir, '.vidhookrc.json'));
    expect(resolveDestinations(config).map((d) => d.dest.name)).toEqual(['a']);
  });

  it('reads package.json#vidhook', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', vidhook: { destinations: { p: { connector: 'log' } } } }));
    const config = await loadConfig({ cwd: dir, env: env(dir) });
    expect(resolveDestinations(config)[0].dest).toMatchObject({ name: 'p', source: 'project', events: ['*'] });
  });

  it('merges user store and project file by name, the project file winning', async () => {
    const dir = tmp();
    const user = new UserStore(env(dir));
    user.put('shared', { connector: 'webhook', url: 'https://user.example.com/h' });
    user.put('mine', { connector: 'log' });
    writeFileSync(join(dir, 'vidhook.config.json'), JSON.stringify({ destinations: { shared: { connector: 'webhook', url: 'https://project.example.com/h' } } }));
    const config = await loadConfig({ cwd: dir, env: env(dir) });
    const resolved = resolveDestinations(config);
    expect(resolved.map((r) => [r.dest.name, r.dest.source])).toEqual([['mine', 'user'], ['shared', 'project']]);
    expect(resolved[1].dest.settings.url).toBe('https://project.example.com/h');
    expect(statSync(user.path).mode & 0o777).toBe(0o600);
  });

  it.each([
    ['destinations:\n  s:\n    connector: slak\n', /vidhook\.config\.yaml, destination "s", setting "connector": unknown connector "slak"; one of .*webhook/],
    ['destinations:\n  w:\n    connector: webhook\n', /destination "w", setting "url": is required/],
    ['destinations:\n  w:\n    connector: webhook\n    url: ftp://x\n', /destination "w", setting "url": must be an http\(s\) URL/],
    ['destinations:\n  w:\n    connector: webhook\n    url: https://x.example\n    uurl: 1\n', /setting "uurl": unknown setting for the webhook connector; expected one of url, secret/],
    ['destinations:\n  w:\n    connector: webhook\n    url: https://x.example\n    secret: nope\n', /setting "secret": must be whsec_/],
    ['destinations:\n  w:\n    connector: log\n    events: [videos.*]\n', /setting "events": "videos\.\*" matches no event type/],
    ['destinations:\n  w:\n    connector: log\n    url: ${NOPE_UNSET}\n', /destination "w", setting "url": environment variable NOPE_UNSET is not set/],
    ['retry:\n  schedule: [5x]\n', /vidhook\.config\.yaml, setting "retry\.schedule\.0": must be a duration/],
    ['servr: {}\n', /unknown key\(s\) servr/],
    ['destinations:\n  w:\n    connector: log\n    limits: { concurrency: 1.5 }\n', /destination "w", setting "limits\.concurrency": must be a whole number above 0 and at most 256/],
    ['destinations:\n  w:\n    connector: log\n    limits: { perSecnd: 5 }\n', /setting "limits\.perSecnd": unknown limit; expected concurrency or perSecond/],
    ['destinations:\n  w:\n    connector: log\n    limits: 5\n', /setting "limits": must be \{ concurrency: 2, perSecond: 5 \}/],
  ])('reports where a config error is and what is expected: %s', async (yaml, message) => {
    const dir = tmp();
    writeFileSync(join(dir, 'vidhook.config.yaml'), yaml);
    const attempt = async () => resolveDestinations(await loadConfig({ cwd: dir, env: env(dir) }));
    await expect(attempt()).rejects.toThrow(message);
  });

  it("reads a destination's limits, each overriding its connector's", async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'vidhook.config.yaml'), 'destinations:\n  s:\n    connector: log\n    limits: { perSecond: 0.5 }\n');
    const [resolved] = resolveDestinations(await loadConfig({ cwd: dir, env: env(dir) }));
    expect(resolved.dest.limits).toEqual({ perSecond: 0.5 });
  });

  it('reads the retry schedule and custom event types', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'vidhook.config.yaml'), 'retry:\n  schedule: [0s, 5s, 5m]\nevents:\n  custom: [export.downloaded]\n');
    const config = await loadConfig({ cwd: dir, env: env(dir) });
    expect(config.retry.schedule).toEqual([0, 5000, 300000]);
    expect(config.customTypes).toEqual(['export.downloaded']);
  });

  it('names a --config file that does not exist', async () => {
    const dir = tmp();
    await expect(loadConfig({ cwd: dir, configPath: 'missing.yaml', env: env(dir) })).rejects.toThrow(/missing\.yaml: config file not found/);
  });
});
