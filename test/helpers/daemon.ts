import { execa, type ResultPromise } from 'execa';
import { BIN, type Sandbox } from './cli.js';
import { checkedFetch } from './openapi.js';

export interface DaemonProcess {
  url: string;
  process: ResultPromise;
  output(): string;
  /** A request to the daemon; its answer is checked against the OpenAPI document (status, content type, body). */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  stop(signal?: NodeJS.Signals): Promise<number | undefined>;
}

/** Starts the real `vidhook serve` on a free port in the sandbox and waits until it listens. */
export async function startDaemon(box: Sandbox, args: string[] = [], token?: string): Promise<DaemonProcess> {
  const child = execa('node', [BIN, 'serve', '--port', '0', ...args], {
    cwd: box.dir,
    env: box.env,
    reject: false,
    stdin: 'ignore',
    buffer: false,
  });
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`daemon did not start: ${err}`)), 15_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      log += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code}: ${err}`));
    });
  });
  return {
    url,
    process: child,
    output: () => log,
    async request(method, path, body, headers = {}) {
      const res = await checkedFetch(`${url}${path}`, {
        method,
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // keep text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const result = await child;
      return result.exitCode;
    },
  };
}

/** Polls until `check` returns a truthy value, and returns it. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as T;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
