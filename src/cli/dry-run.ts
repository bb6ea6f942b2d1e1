import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHttp, type Exchange } from '../delivery/http.js';
import { secretValues } from '../delivery/connector-context.js';
import type { ResolvedDestination } from '../destinations/index.js';
import { SkipDelivery, DeliveryError } from '../connectors/core/errors.js';
import type { AnyConnector, ConnectorState } from '../connectors/core/types.js';
import type { Envelope } from '../events/index.js';
import type { Output } from './output.js';

export interface RenderedDestination {
  destination: string;
  connector: string;
  requests: Exchange['request'][];
  skipped?: string;
  error?: string;
  validation?: string[];
  /** Remarks on a delivery that would succeed all the same (a part left out, and why). */
  notes?: string[];
}

function memoryState(): ConnectorState {
  const map = new Map<string, string>();
  return {
    get: async (k) => map.get(k),
    set: async (k, v) => void map.set(k, v),
    delete: async (k) => void map.delete(k),
  };
}

interface StoredState {
  stateOf(destination: string): ConnectorState;
  close(): void;
}

/**
 * What each destination remembers (a post id per video), read from the local store without
 * writing to it, so a dry run shows an update where the real run would update. No store yet:
 * nothing remembered.
 */
async function storedState(dataDir: string | undefined): Promise<StoredState | undefined> {
  const path = dataDir ? join(dataDir, 'vidhook.db') : undefined;
  if (!path || !existsSync(path)) return undefined;
  const { default: Database } = await import('better-sqlite3');
  let db: InstanceType<typeof Database>;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch {
    return undefined;
  }
  let read: ((scope: string, key: string) => string | undefined) | undefined;
  try {
    // The scope is the one the dispatcher's connectorState writes under.
    const statement = db.prepare('SELECT value FROM connector_state WHERE scope = ? AND key = ?');
    read = (scope, key) => (statement.get(scope, key) as { value: string } | undefined)?.value;
  } catch {
    read = undefined;
  }
  return {
    stateOf(destination) {
      const memory = memoryState();
      return {
        get: async (key) => (await memory.get(key)) ?? read?.(`connector:${destination}`, key),
        set: memory.set,
        delete: memory.delete,
      };
    },
    close: () => db.close(),
  };
}

/** Runs each connector against a transport that records and sends nothing. */
export async function runDryRun(
  event: Envelope,
  destinations: ResolvedDestination<AnyConnector>[],
  options: { validate: boolean; dataDir?: string },
): Promise<RenderedDestination[]> {
  const stored = await storedState(options.dataDir);
  try {
    return await renderAll(event, destinations, options, stored);
  } finally {
    stored?.close();
  }
}

async function renderAll(event: Envelope, destinations: ResolvedDestination<AnyConnector>[], options: { validate: boolean }, stored: StoredState | undefined): Promise<RenderedDestination[]> {
  const results: RenderedDestination[] = [];
  for (const resolved of destinations) {
    const { connector, dest } = resolved;
    const ctx = { state: stored ? stored.stateOf(dest.name) : memoryState(), now: () => new Date() };
    const result: RenderedDestination = { destination: dest.name, connector: connector.kind, requests: [] };
    if (options.validate && connector.validate) {
      const http = createHttp({ secrets: secretValues(resolved) });
      try {
        result.validation = await connector.validate(event, dest, http, ctx);
      } catch (err) {
        result.error = (err as Error).message;
      }
      result.requests = http.exchanges.map((x) => x.request);
    } else {
      const http = createHttp({ secrets: secretValues(resolved), dryRun: true });
      try {
        await connector.deliver(event, dest, http, ctx);
      } catch (err) {
        if (err instanceof SkipDelivery) result.skipped = err.reason;
        else result.error = err instanceof DeliveryError ? err.message : `connector error: ${(err as Error).message}`;
      }
      result.requests = http.exchanges.map((x) => x.request);
      if (http.notes.length) result.notes = http.notes;
    }
    results.push(result);
  }
  return results;
}

function prettyBody(body: string | undefined): string {
  if (!body) return '';
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

export function printDryRun(out: Output, event: Envelope, rendered: RenderedDestination[]): void {
  const c = out.color;
  out.line(c.dim(`# ${event.type} ${event.id} — dry run, nothing sent`));
  if (rendered.length === 0) out.line(`no destination takes ${event.type}`);
  for (const r of rendered) {
    out.line();
    out.line(c.bold(`── ${r.destination} (${r.connector}) ──`));
    if (r.skipped) out.line(c.dim(`skipped: ${r.skipped}`));
    if (r.error) out.line(c.red(`refused: ${r.error}`));
    for (const note of r.notes ?? []) out.line(c.yellow(`note: ${note}`));
    if (r.validation) out.line(r.validation.length ? c.red(`validation: ${r.validation.join('; ')}`) : c.green('validation: no problems'));
    if (!r.skipped && !r.error && r.requests.length === 0) out.line(c.dim('no HTTP request'));
    for (const req of r.requests) {
      out.line(`${c.cyan(req.method)} ${req.url}`);
      for (const [name, value] of Object.entries(req.headers)) out.line(`${c.dim(`${name}:`)} ${value}`);
      if (req.body) out.line(`\n${prettyBody(req.body)}`);
    }
  }
}
