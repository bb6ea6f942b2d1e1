import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real WordPress for tests: Debian's `wordpress` package served by PHP's built-in server,
 * on a fresh MariaDB database (127.0.0.1:3306, root, no password) that is dropped at close.
 * See docs/connectors/wordpress.md ("Tested against a real WordPress").
 */
export const WORDPRESS_TREE = '/usr/share/wordpress';
export const PACKAGES = ['wordpress', 'wordpress-theme-twentytwentyone', 'php-cli', 'php-mysql', 'php-gd', 'php-xml', 'php-curl', 'php-mbstring'];
const HERE = import.meta.dirname;

export interface SiteUser {
  id: number;
  role: string;
  appPassword: string;
}

export interface RealWordPress {
  siteUrl: string;
  users: { admin: SiteUser; contributor: SiteUser };
  /** Switches between /%postname%/ permalinks and plain ones (only ?rest_route= then). */
  setPermalinks(style: 'pretty' | 'plain'): Promise<void>;
  /** A REST call as the administrator, through ?rest_route= (works with either permalink style). */
  rest<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** A page of the site as a visitor sees it (the theme renders it). */
  page(pathAndQuery: string): Promise<string>;
  /** The PHP server's log, for a failing test's message. */
  log(): string;
  close(): Promise<void>;
}

async function run(cmd: string, args: string[], options: { env?: Record<string, string>; cwd?: string } = {}) {
  return execa(cmd, args, { reject: false, stdin: 'ignore', ...options, env: { ...process.env, ...options.env } });
}

async function mariadb(sql: string) {
  return run('mysql', ['-h', '127.0.0.1', '-P', '3306', '-u', 'root', '-e', sql]);
}

/** Why a real WordPress cannot run here, or undefined when it can. */
export async function unavailableBecause(): Promise<string | undefined> {
  const missing: string[] = [];
  for (const pkg of PACKAGES) {
    const status = await run('dpkg-query', ['-W', '-f=${Status}', pkg]);
    if (!String(status.stdout).includes('install ok installed')) missing.push(pkg);
  }
  if (missing.length) return `Debian packages missing: ${missing.join(' ')} (as root: apt-get install -y ${missing.join(' ')}; .ci/run does it)`;
  const db = await mariadb('SELECT 1');
  if (db.exitCode !== 0) {
    return `MariaDB does not answer on 127.0.0.1:3306 as root without a password (${String(db.stderr).trim()}); start it (.ci/run does)`;
  }
  return undefined;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function salt(): string {
  return randomBytes(48).toString('base64');
}

function wpConfig(database: string, siteUrl: string): string {
  const keys = ['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT', 'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'];
  return `<?php
define('DB_NAME', '${database}');
define('DB_USER', 'root');
define('DB_PASSWORD', '');
define('DB_HOST', '127.0.0.1:3306');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
${keys.map((k) => `define('${k}', '${salt()}');`).join('\n')}
$table_prefix = 'wp_';
define('WP_HOME', '${siteUrl}');
define('WP_SITEURL', '${siteUrl}');
// Application passwords are offered over plain http only on a local site.
define('WP_ENVIRONMENT_TYPE', 'local');
define('WP_HTTP_BLOCK_EXTERNAL', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('DISABLE_WP_CRON', true);
define('WP_DEBUG', false);
if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');
require_once ABSPATH . 'wp-settings.php';
`;
}

export async function startRealWordPress(): Promise<RealWordPress> {
  const dir = mkdtempSync(join(tmpdir(), 'vidhook-wordpress-'));
  const root = join(dir, 'site');
  const database = `vidhook_wp_${randomBytes(6).toString('hex')}`;
  const port = await freePort();
  const siteUrl = `http://127.0.0.1:${port}`;
  let server: ReturnType<typeof execa> | undefined;
  let serverLog = '';

  const close = async () => {
    if (server?.pid && server.exitCode === null) {
      // The server and its workers form their own process group.
      process.kill(-server.pid, 'SIGKILL');
      await server.catch(() => undefined);
    }
    await mariadb(`DROP DATABASE IF EXISTS \`${database}\``);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    // The package's tree with its links followed; its wp-config.php reads /etc/wordpress, ours is written here.
    const copy = await run('cp', ['-rL', WORDPRESS_TREE, root]);
    if (copy.exitCode !== 0) throw new Error(`copying ${WORDPRESS_TREE}: ${copy.stderr}`);
    rmSync(join(root, '.htaccess'), { force: true });
    writeFileSync(join(root, 'wp-config.php'), wpConfig(database, siteUrl));
    copyFileSync(join(HERE, 'router.php'), join(root, 'router.php'));
    copyFileSync(join(HERE, 'setup.php'), join(root, 'vidhook-setup.php'));

    const created = await mariadb(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
    if (created.exitCode !== 0) throw new Error(`creating the database: ${created.stderr}`);

    // Several workers, so requests that arrive together are really handled together.
    server = execa('php', ['-S', `127.0.0.1:${port}`, '-t', root, join(root, 'router.php')], {
      reject: false,
      stdin: 'ignore',
      buffer: false,
      detached: true,
      env: { ...process.env, PHP_CLI_SERVER_WORKERS: '4' },
    });
    server.stdout?.on('data', (d: Buffer) => (serverLog += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (serverLog += d.toString()));

    const php = async (...args: string[]) => {
      const result = await run('php', [join(root, 'vidhook-setup.php'), ...args], { cwd: root, env: { WP_TEST_SITE_URL: siteUrl } });
      if (result.exitCode !== 0) throw new Error(`php vidhook-setup.php ${args[0]} failed: ${result.stderr}${result.stdout}`);
      return JSON.parse(String(result.stdout).trim().split('\n').at(-1)!);
    };
    await waitUntilServing(siteUrl, () => serverLog);
    const installed = (await php('install', randomBytes(12).toString('hex'))) as { users: RealWordPress['users'] };
    // wp_install may or may not have turned pretty permalinks on (it probes the site): start from a known state.
    await php('permalinks', 'pretty');

    const adminAuth = `Basic ${Buffer.from(`admin:${installed.users.admin.appPassword}`).toString('base64')}`;
    const site: RealWordPress = {
      siteUrl,
      users: installed.users,
      async setPermalinks(style) {
        await php('permalinks', style);
      },
      async rest(method, route, body) {
        const [path, query] = route.split('?');
        const res = await fetch(`${siteUrl}/?rest_route=${path}${query ? `&${query}` : ''}`, {
          method,
          headers: { authorization: adminAuth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text ? JSON.parse(text) : undefined };
      },
      async page(pathAndQuery) {
        const res = await fetch(`${siteUrl}${pathAndQuery}`);
        return res.text();
      },
      log: () => serverLog,
      close,
    };
    return site;
  } catch (err) {
    await close();
    throw err;
  }
}

async function waitUntilServing(siteUrl: string, log: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      // Any answer will do: before the install WordPress redirects everything to install.php.
      await (await fetch(`${siteUrl}/readme.html`)).text();
      return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`WordPress did not answer at ${siteUrl}: ${log()}`);
}

/** Set by .ci/run: a WordPress that cannot run is a failure there, not a skip. */
export const required = () => process.env.VIDHOOK_REAL_WORDPRESS === 'required';
