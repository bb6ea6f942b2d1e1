import { UsageError } from './errors.js';

/** Whether `url` names a PostgreSQL server (`postgres://…` or `postgresql://…`). */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\/[^/]/.test(url);
}

/** The shared store's URL: --store, VIDHOOK_STORE, `store:` in the config file; none means SQLite. */
export function storeUrl(flag: string | undefined, configured: string | undefined): string | undefined {
  const env = process.env.VIDHOOK_STORE || undefined;
  const url = flag ?? env ?? configured;
  if (url === undefined || url === 'sqlite') return undefined;
  if (!isPostgresUrl(url)) {
    const source = flag !== undefined ? '--store' : env !== undefined ? 'VIDHOOK_STORE' : 'store: (config file)';
    throw new UsageError(`${source} ${url}: expected a PostgreSQL URL such as postgres://vidhook@db:5432/vidhook, or sqlite`);
  }
  return url;
}
