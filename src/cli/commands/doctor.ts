import { statSync } from 'node:fs';
import { loadConfig, resolveDataDir, type LoadedConfig } from '../../config/index.js';
import { AuthError, DeliveryError } from '../../connectors/core/errors.js';
import { secretKeys } from '../../connectors/core/settings.js';
import type { AnyConnector } from '../../connectors/core/types.js';
import { connectorState, secretValues } from '../../delivery/connector-context.js';
import type { ResolvedDestination } from '../../destinations/index.js';
import type { SqliteStore } from '../../store/sqlite.js';
import { findDaemon } from '../context.js';
import { Output, type GlobalOptions } from '../output.js';
import { destinationEntries, stateOf, type DestinationEntry } from './destinations.js';

type Status = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  check: string;
  status: Status;
  detail: string;
  fix?: string;
}

interface DoctorOptions {
  /** commander's --no-network */
  network?: boolean;
}

const CHECK_TIMEOUT_MS = 10_000;

async function configCheck(globals: GlobalOptions, checks: Check[]): Promise<LoadedConfig | undefined> {
  try {
    const config = await loadConfig({ configPath: globals.config });
    const where = config.projectFile ? `project file ${config.projectFile}` : 'no project file';
    checks.push({ check: 'config', status: 'ok', detail: `${where}; user store ${config.userStorePath}` });
    return config;
  } catch (err) {
    checks.push({ check: 'config', status: 'fail', detail: (err as Error).message, fix: 'correct the file and setting named above (`vidhook connectors` lists every setting)' });
    return undefined;
  }
}

function userStoreCheck(config: LoadedConfig, checks: Check[]): void {
  let mode: number;
  try {
    mode = statSync(config.userStorePath).mode & 0o777;
  } catch {
    checks.push({ check: 'secrets', status: 'ok', detail: `no user store yet (${config.userStorePath})` });
    return;
  }
  if (mode & 0o077) {
    checks.push({
      check: 'secrets',
      status: 'fail',
      detail: `the user store ${config.userStorePath} is readable by others (mode ${mode.toString(8).padStart(4, '0')}) and holds secrets`,
      fix: `chmod 600 ${config.userStorePath}`,
    });
  } else {
    checks.push({ check: 'secrets', status: 'ok', detail: `user store ${config.userStorePath} is private (mode 0600)` });
  }
}

/** Secrets written literally in a project file end up in version control; ${ENV} references do not. */
function literalSecretChecks(config: LoadedConfig, entries: DestinationEntry[], checks: Check[]): void {
  for (const source of config.projectSources) {
    const resolved = entries.find((e) => e.name === source.name && e.source === 'project')?.resolved;
    if (!resolved) continue;
    for (const key of secretKeys(resolved.connector.settings)) {
      const raw = source.body[key];
      if (typeof raw === 'string' && raw !== '' && !/\$\{[A-Za-z_][A-Za-z0-9_]*\}/.test(raw)) {
        const envName = `${source.name}_${key}`.replace(/([a-z])([A-Z])/g, '$1_$2').replace(/[^A-Za-z0-9]+/g, '_').toUpperCase();
        checks.push({
          check: `secrets ${source.name}`,
          status: 'warn',
          detail: `${source.file ?? 'the project file'} holds the secret ${key} of ${source.name} in plain text`,
          fix: `write ${key}: \${${envName}} in the file and set ${envName} in the environment (or move the destination to the user store with \`vidhook configure\`)`,
        });
      }
    }
  }
}

async function storeCheck(dataDir: string, checks: Check[]): Promise<SqliteStore | undefined> {
  try {
    const { SqliteStore } = await import('../../store/sqlite.js');
    const store = SqliteStore.open(dataDir);
    const rows = store.db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    if (problems.length) {
      checks.push({
        check: 'store',
        status: 'fail',
        detail: `${store.path} fails its integrity check: ${problems.slice(0, 3).join('; ')}`,
        fix: `stop the daemon, move ${store.path} aside and start again (pending deliveries in it are lost), or restore it from a backup`,
      });
    } else checks.push({ check: 'store', status: 'ok', detail: `${store.path} opens and passes its integrity check` });
    return store;
  } catch (err) {
    checks.push({
      check: 'store',
      status: 'fail',
      detail: `cannot open the store in ${dataDir}: ${(err as Error).message}`,
      fix: 'make the data dir writable, or choose another with --data-dir or VIDHOOK_DATA_DIR',
    });
    return undefined;
  }
}

async function daemonCheck(globals: GlobalOptions, config: LoadedConfig, names: string[], checks: Check[]): Promise<void> {
  const daemon = await findDaemon(globals, config);
  if (!daemon) {
    checks.push({ check: 'daemon', status: 'skip', detail: 'no daemon running on this data dir and none named (--server or VIDHOOK_SERVER); commands deliver in-process' });
    return;
  }
  const url = daemon.url;
  const { createClient } = await import('../../client.js');
  try {
    const body = await createClient({ url, token: daemon.token, retryForMs: 0 }).request<{
      daemon?: { version?: string; configGeneration?: number };
      destinations?: Array<{ name: string }>;
    }>('GET', '/api/integrations/status');
    checks.push({ check: 'daemon', status: 'ok', detail: `${url} answers${body.daemon?.version ? ` (vidhook ${body.daemon.version})` : ''}` });
    // Whether the running daemon has the configuration these files describe.
    const running = (body.destinations ?? []).map((d) => d.name).sort();
    const here = [...names].sort();
    if (running.join('\n') === here.join('\n')) {
      checks.push({ check: 'daemon config', status: 'ok', detail: `the daemon runs the current configuration (${here.length} destination(s))` });
    } else {
      const missing = here.filter((n) => !running.includes(n));
      const extra = running.filter((n) => !here.includes(n));
      checks.push({
        check: 'daemon config',
        status: 'warn',
        detail: `the daemon at ${url} has not picked up the latest configuration${missing.length ? `; not running: ${missing.join(', ')}` : ''}${extra.length ? `; still running: ${extra.join(', ')}` : ''}`,
        fix: 'it reloads when the user store or project file changes; send it SIGHUP (kill -HUP <pid of vidhook serve>) or restart it',
      });
    }
  } catch (err) {
    const e = err as { code?: string; status?: number; message: string };
    if (e.status === 401 || e.status === 403) {
      checks.push({ check: 'daemon', status: 'fail', detail: `${url} refused the token (HTTP ${e.status})`, fix: 'pass the daemon’s token with --token or VIDHOOK_TOKEN' });
    } else if (e.code === 'daemon_unreachable') {
      checks.push({ check: 'daemon', status: 'fail', detail: `${url} is not reachable: ${e.message}`, fix: 'start it with `vidhook serve`, or unset VIDHOOK_SERVER to deliver in-process' });
    } else {
      checks.push({ check: 'daemon', status: 'fail', detail: `${url}: ${e.message}`, fix: 'check --server points at a vidhook daemon' });
    }
  }
}

async function credentialCheck(resolved: ResolvedDestination<AnyConnector>, store: SqliteStore | undefined, timeoutMs: number): Promise<Check[]> {
  const { dest, connector } = resolved;
  const check = `credentials ${dest.name}`;
  if (!connector.check) return [{ check, status: 'skip', detail: `${connector.kind} has no cheap credentials check; try \`vidhook destinations test ${dest.name}\`` }];
  const { createHttp } = await import('../../delivery/http.js');
  const http = createHttp({ secrets: secretValues(resolved), timeoutMs });
  const memory = new Map<string, string>();
  const state = store
    ? connectorState(store, dest.name)
    : { get: async (k: string) => memory.get(k), set: async (k: string, v: string) => void memory.set(k, v), delete: async (k: string) => void memory.delete(k) };
  const update = `\`vidhook destinations show ${dest.name}\`; update with \`vidhook configure ${connector.kind} --name ${dest.name} --set …\``;
  try {
    const found = await connector.check(dest, http, { state, now: () => new Date() });
    const report = typeof found === 'string' || !found ? { detail: found || `${connector.title} accepted the credentials of ${dest.name}` } : found;
    return [
      { check, status: 'ok', detail: report.detail },
      ...(report.warnings ?? []).map((w): Check => ({ check: `settings ${dest.name}`, status: 'warn', detail: w.problem, fix: w.fix })),
    ];
  } catch (err) {
    const keys = secretKeys(connector.settings);
    // The fix follows the failure: a wrong password is not what a refused connection needs.
    const fix =
      err instanceof DeliveryError && err.fix
        ? err.fix
        : err instanceof AuthError
          ? `check ${keys.length ? keys.join(', ') : 'the credentials'} of ${dest.name} (${update})`
          : `check the settings of ${dest.name} and that the service is reachable (${update})`;
    return [{ check, status: 'fail', detail: `${dest.name} (${connector.kind}): ${(err as Error).message}`, fix }];
  }
}

export default async function doctor(_: string[], options: DoctorOptions, globals: GlobalOptions): Promise<number> {
  const out = new Output(globals);
  const checks: Check[] = [];
  const config = await configCheck(globals, checks);
  if (config) userStoreCheck(config, checks);
  const store = await storeCheck(resolveDataDir(globals.dataDir), checks);
  try {
    if (config) {
      const entries = store ? await destinationEntries(config, store) : [];
      for (const e of entries) {
        const { state, reason } = stateOf(e);
        if (state === 'invalid') checks.push({ check: `destination ${e.name}`, status: 'fail', detail: `invalid: ${reason}`, fix: 'correct the setting named above' });
        if (e.disabledReason !== undefined) {
          checks.push({ check: `destination ${e.name}`, status: 'warn', detail: `disabled: ${reason}`, fix: `vidhook destinations enable ${e.name} once the cause is fixed` });
        }
      }
      literalSecretChecks(config, entries, checks);
      if (options.network !== false) {
        await daemonCheck(globals, config, entries.map((e) => e.name), checks);
        const usable = entries.filter((e) => e.resolved && e.resolved.dest.enabled).map((e) => e.resolved!);
        checks.push(...(await Promise.all(usable.map((r) => credentialCheck(r, store, config.timeoutMs ?? CHECK_TIMEOUT_MS)))).flat());
        if (usable.length) await (await import('../../delivery/http.js')).closeHttpAgents();
      }
    }
  } finally {
    await store?.close();
  }

  const failed = checks.filter((c) => c.status === 'fail').length;
  if (out.json) out.data({ ok: failed === 0, checks });
  else {
    const c = out.color;
    const mark: Record<Status, string> = { ok: c.green('✓'), warn: c.yellow('!'), fail: c.red('✗'), skip: c.dim('–') };
    for (const x of checks) {
      out.line(`${mark[x.status]} ${c.bold(x.check)}: ${x.detail}`);
      if (x.fix) out.line(`    ${c.cyan('fix:')} ${x.fix}`);
    }
    out.line(failed ? c.red(`${failed} problem${failed > 1 ? 's' : ''} found`) : c.green('no problems found'));
  }
  return failed ? 1 : 0;
}
