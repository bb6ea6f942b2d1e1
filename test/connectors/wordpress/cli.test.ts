import { afterEach, describe, expect, it } from 'vitest';
import { sandbox, type Sandbox } from '../../helpers/cli.js';
import { startFakeWordPress, type FakeWordPress } from './fake.js';

// The built CLI against the fake site: what a user sees of the WordPress connector.
const APP_PASSWORD = 'abcd EFGH 1234 ijkl MNOP 5678';
const JPEG = Buffer.from('ffd8ffe000104a46494600ffd9', 'hex');

let site: FakeWordPress | undefined;
let box: Sandbox | undefined;
afterEach(async () => {
  await site?.close();
  box?.cleanup();
  site = box = undefined;
});

function configure(siteUrl: string): Sandbox {
  box = sandbox({ WP_APP_PASSWORD: APP_PASSWORD });
  box.writeConfig(['destinations:', '  blog:', '    connector: wordpress', `    siteUrl: ${siteUrl}`, '    username: editor', '    appPassword: ${WP_APP_PASSWORD}', ''].join('\n'));
  return box;
}

describe('the WordPress connector from the CLI', () => {
  it('emit --dry-run shows the update of the post a real run made, from the stored state, and stores nothing', async () => {
    site = await startFakeWordPress({ appPassword: APP_PASSWORD, files: { 'p.jpg': { contentType: 'image/jpeg', body: JPEG } } });
    const cli = configure(site.siteUrl);
    const poster = ['--set', `video.thumbnailUrl=${site.origin}/cdn/p.jpg`];
    const real = await cli.run(['emit', 'video.completed', '--sample', ...poster]);
    expect(real.exitCode, real.stderr).toBe(0);
    const [postId] = site.posts.keys();
    const sent = site.requests.length;

    const dry = await cli.run(['emit', 'video.completed', '--sample', ...poster, '--dry-run']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`POST ${site.siteUrl}/wp-json/wp/v2/posts/${postId}\n`);
    expect(dry.stdout).not.toContain(`POST ${site.siteUrl}/wp-json/wp/v2/posts\n`);
    expect(dry.stdout).not.toContain(`POST ${site.siteUrl}/wp-json/wp/v2/media\n`);
    expect(site.requests).toHaveLength(sent);
  });

  it('emit says the post went out without its featured image, naming the poster', async () => {
    site = await startFakeWordPress({ appPassword: APP_PASSWORD });
    const cli = configure(site.siteUrl);
    const result = await cli.run(['emit', 'video.completed', '--sample', '--set', `video.thumbnailUrl=${site.origin}/cdn/gone.jpg`]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`delivered .*published without the featured image: the poster download ${site.origin}/cdn/gone.jpg failed \\(HTTP 404\\)`));
  });

  it('doctor gives a fix that fits: the address for a refused connection, not the password', async () => {
    const gone = await startFakeWordPress();
    await gone.close();
    const cli = configure(gone.siteUrl);
    const result = await cli.run(['doctor', '--json']);
    const check = JSON.parse(result.stdout).checks.find((c: { check: string }) => c.check === 'credentials blog');
    expect(check).toMatchObject({ status: 'fail', detail: expect.stringMatching(/connection refused/) });
    expect(check.fix).toMatch(/make sure siteUrl .* is the address of the WordPress site and that the site is up/);
    expect(check.fix).not.toMatch(/appPassword/);
  });

  it('doctor warns about a role that cannot do what the settings ask', async () => {
    site = await startFakeWordPress({ appPassword: APP_PASSWORD, role: 'contributor' });
    const cli = configure(site.siteUrl);
    const result = await cli.run(['doctor', '--json']);
    const checks = JSON.parse(result.stdout).checks as Array<{ check: string; status: string; detail: string; fix?: string }>;
    expect(checks.find((c) => c.check === 'credentials blog')).toMatchObject({ status: 'ok' });
    expect(checks.filter((c) => c.check === 'settings blog').map((c) => c.status)).toEqual(['warn', 'warn']);
    expect(checks.find((c) => c.check === 'settings blog')!.detail).toMatch(/cannot update Posts once they are published/);
  });
});
