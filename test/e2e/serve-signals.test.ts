import { afterEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { BIN, sandbox, type Sandbox } from '../helpers/cli.js';

const REPO = resolve(import.meta.dirname, '../..');

interface Started {
  child: ChildProcess;
  port: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `serve` in a process group of its own, as a terminal runs a foreground command. */
async function startServe(box: Sandbox, command: string, args: string[]): Promise<Started> {
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...box.env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('exit', (code, signal) => done({ code, signal })));
  const port = await new Promise<number>((found, failed) => {
    const look = () => {
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log);
      if (m) found(Number(m[1]));
    };
    child.stderr!.on('data', look);
    void exited.then(() => failed(new Error(`serve exited before listening:\n${log}`)));
  });
  return { child, port, output: () => log, exited };
}

/** Whether the port can be bound again: the daemon let go of it. */
function portFree(port: number): Promise<boolean> {
  return new Promise((answer) => {
    const server = createServer();
    server.once('error', () => answer(false));
    server.listen(port, '127.0.0.1', () => server.close(() => answer(true)));
  });
}

describe('SIGINT to vidhook serve', () => {
  const running: Started[] = [];
  let box: Sandbox;
  afterEach(() => {
    for (const s of running.splice(0)) if (s.child.exitCode === null && s.child.signalCode === null) process.kill(-s.child.pid!, 'SIGKILL');
    box?.cleanup();
  });

  async function interrupted(command: string, args: string[], target: 'group' | 'process') {
    box = sandbox();
    const serve = await startServe(box, command, args);
    running.push(serve);
    // Ctrl-C in a terminal signals the whole foreground process group.
    if (target === 'group') process.kill(-serve.child.pid!, 'SIGINT');
    else serve.child.kill('SIGINT');
    const exit = await serve.exited;
    return { exit, serve, released: await portFree(serve.port) };
  }

  it.each(['group', 'process'] as const)('exits 0 and releases its port when started as node bin/vidhook.js serve (SIGINT to the %s)', async (target) => {
    const { exit, serve, released } = await interrupted('node', [BIN, 'serve', '--port', '0'], target);
    expect(exit, serve.output()).toEqual({ code: 0, signal: null });
    expect(serve.output()).toContain('stopped');
    expect(released).toBe(true);
  });

  it('exits 0 when started as the bin itself, as `npm link` puts it on the PATH', async () => {
    const { exit, serve, released } = await interrupted(BIN, ['serve', '--port', '0'], 'group');
    expect(exit, serve.output()).toEqual({ code: 0, signal: null });
    expect(released).toBe(true);
  });

  it('exits 0 through `npm exec vidhook -- serve`, which passes the Ctrl-C on a second time', async () => {
    // bash runs the bin in place of itself, so npm's child is the daemon, which gets the terminal's
    // SIGINT and npm's copy of it.
    const { exit, serve, released } = await interrupted('npm', ['exec', '--offline', '--script-shell', 'bash', 'vidhook', '--', 'serve', '--port', '0'], 'group');
    expect(exit, serve.output()).toEqual({ code: 0, signal: null });
    expect(serve.output()).toContain('stopped');
    expect(released).toBe(true);
  });

  it('stops cleanly through `npm exec vidhook -- serve` with the default script shell', async () => {
    // npm's own status is then its shell's: dash (Debian's /bin/sh) ends itself on SIGINT after
    // the daemon has exited 0, and npm reports that.
    const { serve, released } = await interrupted('npm', ['exec', '--offline', 'vidhook', '--', 'serve', '--port', '0'], 'group');
    expect(serve.output()).toMatch(/SIGINT: finishing attempts in flight…\n.*stopped/);
    expect(serve.output()).not.toMatch(/error/i);
    expect(released).toBe(true);
  });
});
