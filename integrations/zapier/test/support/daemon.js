'use strict';
// The real vidhook daemon, started from this repository's built CLI, on a free loopback port with
// a data dir of its own.
const { spawn } = require('node:child_process');
const { existsSync, mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '../../../..');
const CLI = join(ROOT, 'bin/vidhook.js');

async function startDaemon({ token, args = [] }) {
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) throw new Error(`vidhook is not built: run \`npm run build\` in ${ROOT} first`);
  const dir = mkdtempSync(join(tmpdir(), 'vidhook-zapier-'));
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--token', token, ...args], {
    cwd: dir,
    env: { ...process.env, VIDHOOK_DATA_DIR: join(dir, 'data'), VIDHOOK_CONFIG_DIR: join(dir, 'user-config'), NO_COLOR: '1', CI: 'true' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  const url = await new Promise((resolveUrl, reject) => {
    child.stderr.on('data', (d) => {
      log += d;
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) resolveUrl(match[1]);
    });
    child.on('exit', (code) => reject(new Error(`the daemon exited with ${code}:\n${log}`)));
  });
  const exited = new Promise((done) => child.on('exit', done));
  return {
    url,
    output: () => log,
    async request(method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await res.json() };
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

module.exports = { startDaemon };
