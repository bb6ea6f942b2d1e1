import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/** The built console (vite's output), next to the compiled daemon in dist/. */
const ROOT = fileURLToPath(new URL('../console/', import.meta.url));

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

interface Asset {
  type: string;
  body: Buffer;
  gzipped?: Buffer;
}

const cache = new Map<string, Promise<Asset | undefined>>();

async function load(file: string): Promise<Asset | undefined> {
  try {
    const body = await readFile(file);
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    return { type, body, ...(body.length > 1024 && !type.startsWith('image/png') ? { gzipped: gzipSync(body) } : {}) };
  } catch {
    return undefined;
  }
}

const headersFor = (extra: Record<string, string>) => ({
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  ...extra,
});

/**
 * Serves the console's static files at /console/ (and redirects / there). The files are public, as
 * any package's are: no token is asked for them; every API call the page makes is checked as usual.
 * Answers false for paths that are not the console's.
 */
export async function serveConsole(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
  if (path !== '/' && path !== '/console' && !path.startsWith('/console/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, headersFor({ allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }));
    res.end(`${req.method} is not allowed on ${path}\n`);
    return true;
  }
  if (path === '/' || path === '/console') {
    res.writeHead(path === '/' ? 302 : 301, headersFor({ location: '/console/' }));
    res.end();
    return true;
  }
  let relative: string;
  try {
    relative = decodeURIComponent(path.slice('/console/'.length)) || 'index.html';
  } catch {
    relative = '';
  }
  const file = normalize(join(ROOT, relative));
  if (!relative || relative.includes('\0') || !file.startsWith(ROOT.endsWith(sep) ? ROOT : ROOT + sep)) {
    res.writeHead(404, headersFor({ 'content-type': 'text/plain; charset=utf-8' }));
    res.end('not found\n');
    return true;
  }
  if (!cache.has(file)) cache.set(file, load(file));
  const asset = await cache.get(file)!;
  if (!asset) {
    cache.delete(file);
    const built = relative !== 'index.html' || (await load(join(ROOT, 'index.html')));
    res.writeHead(404, headersFor({ 'content-type': 'text/plain; charset=utf-8' }));
    res.end(built ? 'not found\n' : 'the console is not built: run `npm run build` in the vidhook package\n');
    return true;
  }
  const gzip = asset.gzipped && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  const body = gzip ? asset.gzipped! : asset.body;
  res.writeHead(200, headersFor({
    'content-type': asset.type,
    'content-length': String(body.length),
    // Vite names assets by their content hash; the page itself must be revalidated to pick up new ones.
    'cache-control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    vary: 'accept-encoding',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  }));
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}
