import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { Output, table, type GlobalOptions } from '../output.js';
import { daemonProcessOn, loadCliConfig, openStore } from '../context.js';
import { redactUrl } from '../../store/store-url.js';
import { isPostgresUrl } from '../store-choice.js';

interface MigrateOptions {
  to: string;
}

/** `vidhook store migrate --to postgres://…`: the data dir's SQLite store, copied into a shared PostgreSQL store. */
export default async function migrate(_: string[], options: MigrateOptions, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  if (!isPostgresUrl(options.to)) {
    throw new UsageError(`--to ${options.to}: expected a PostgreSQL URL such as postgres://vidhook@db:5432/vidhook`);
  }
  const { dataDir } = await loadCliConfig(globals);
  const daemon = daemonProcessOn(dataDir);
  if (daemon) {
    throw new UsageError(
      `a daemon (pid ${daemon.pid}, ${daemon.url}) is running on ${dataDir}: stop it first, so that the store does not change while it is copied`,
      'daemon_running',
    );
  }
  if (!existsSync(join(dataDir, 'vidhook.db'))) {
    throw new UsageError(`no SQLite store in ${dataDir} (vidhook.db): point --data-dir (or VIDHOOK_DATA_DIR) at the data dir of the daemon to move`);
  }
  const to = redactUrl(options.to);
  const [{ PostgresStore }, { copyToPostgres }] = await Promise.all([import('../../store/postgres.js'), import('../../store/copy-to-postgres.js')]);
  const source = openStore(dataDir);
  try {
    const target = await PostgresStore.open(options.to, { max: 1 });
    try {
      out.info(`copying the store in ${dataDir} to ${to}…`);
      const { dueAgain, ...tables } = await copyToPostgres(source, target, (name, count) => out.verbose(`${name}: ${count.copied} copied, ${count.existing} already there`));
      if (out.json) return out.data({ from: dataDir, to, tables, dueAgain });
      const c = out.color;
      const rows = Object.entries(tables).map(([name, n]) => [name, String(n.copied), String(n.existing)]);
      for (const line of table([['TABLE', 'COPIED', 'ALREADY THERE'].map((h) => c.bold(h)), ...rows])) out.line(line);
      if (dueAgain > 0) out.line(`${dueAgain} deliver${dueAgain === 1 ? 'y' : 'ies'} in flight when the daemon stopped ${dueAgain === 1 ? 'is' : 'are'} due again`);
      out.line(`start the daemons with --store ${to} (or VIDHOOK_STORE); the SQLite store is left as it was`);
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}
