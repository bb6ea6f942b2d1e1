import { mergeSources, resolveDestination, runtimeSources, type LoadedConfig } from '../../config/index.js';
import { maskedSettings } from '../../config/settings-view.js';
import type { AnyConnector } from '../../connectors/core/types.js';
import { connectorState } from '../../delivery/connector-context.js';
import { destinationState, ORIGIN_LABEL, type DestinationOrigin, type DestinationStateView, type ResolvedDestination } from '../../destinations/index.js';
import { GENERATED_SECRET_KEY } from '../../connectors/webhook/index.js';
import { maskSecret } from '../../connectors/core/masking.js';
import type { Store } from '../../store/types.js';
import { loadCliConfig, openStore } from '../context.js';
import { UsageError } from '../errors.js';
import { Output, table, type GlobalOptions } from '../output.js';
import { canPrompt } from '../tty.js';
import { colorState } from '../destination-state.js';
import { ask, loadPrompts } from '../prompts.js';
import { afterChange, beforeChange, printPickup } from '../daemon-pickup.js';
import { printTestResult, testDestination } from './destinations-probe.js';

/** One destination as the user sees it: where it comes from, its resolved form if it resolves, and its state. */
export interface DestinationEntry {
  name: string;
  source: DestinationOrigin;
  file?: string;
  /** Lower layers holding the same name, which this one hides. */
  hides: DestinationOrigin[];
  resolved?: ResolvedDestination<AnyConnector>;
  /** Why it does not resolve. */
  error?: string;
  /** The reason in the store's disabled flag, when set. */
  disabledReason?: string;
}

/** Every destination, each resolved on its own so that one bad entry does not hide the others. */
export async function destinationEntries(config: LoadedConfig, store: Store): Promise<DestinationEntry[]> {
  const runtime = runtimeSources(await store.listRuntimeDestinations());
  const layers = [config.userSources, config.projectSources, runtime];
  const disabled = await store.disabledDestinations();
  const entries: DestinationEntry[] = [];
  for (const source of mergeSources(...layers)) {
    const hides = layers
      .flat()
      .filter((s) => s.name === source.name && s !== source)
      .map((s) => s.source);
    const entry: DestinationEntry = { name: source.name, source: source.source, file: source.file, hides };
    try {
      entry.resolved = resolveDestination(source, { env: config.env, customTypes: config.customTypes });
    } catch (err) {
      entry.error = (err as Error).message;
    }
    if (source.name in disabled) entry.disabledReason = disabled[source.name];
    entries.push(entry);
  }
  return entries;
}

export function stateOf(entry: DestinationEntry): DestinationStateView {
  return destinationState({ invalid: entry.error, enabled: entry.resolved?.dest.enabled, source: entry.source, disabledReason: entry.disabledReason });
}

/** The JSON form: settings masked, never a secret. */
export function entryView(entry: DestinationEntry) {
  const r = entry.resolved;
  const { state, reason } = stateOf(entry);
  return {
    name: entry.name,
    connector: r?.connector.kind ?? null,
    source: entry.source,
    sourceLabel: ORIGIN_LABEL[entry.source],
    ...(entry.file ? { file: entry.file } : {}),
    state,
    ...(reason !== undefined ? { reason } : {}),
    events: r?.dest.events ?? [],
    settings: r ? maskedSettings(r) : {},
    ...(entry.hides.length ? { overrides: entry.hides } : {}),
  };
}

function find(entries: DestinationEntry[], name: string): DestinationEntry {
  const entry = entries.find((e) => e.name === name);
  if (!entry) {
    const known = entries.map((e) => e.name).join(', ') || 'none configured; add one with `vidhook configure`';
    throw new UsageError(`no destination named ${name} (known: ${known})`, 'unknown_destination');
  }
  return entry;
}

async function withEntries<T>(globals: GlobalOptions, work: (entries: DestinationEntry[], store: Store, config: LoadedConfig) => Promise<T>): Promise<T> {
  const ctx = await loadCliConfig(globals);
  const store = openStore(ctx.dataDir);
  try {
    return await work(await destinationEntries(ctx.config, store), store, ctx.config);
  } finally {
    await store.close();
  }
}

function stateText(out: Output, entry: DestinationEntry): string {
  return colorState(out, stateOf(entry).state);
}

export async function list(_: string[], __: unknown, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  await withEntries(globals, async (entries) => {
    if (out.json) return out.data(entries.map(entryView));
    if (entries.length === 0) {
      out.line('no destinations yet: add one with `vidhook configure <connector>` (see `vidhook connectors`)');
      return;
    }
    const c = out.color;
    const head = ['NAME', 'CONNECTOR', 'SOURCE', 'STATE', 'EVENTS'].map((h) => c.bold(h));
    const rows = entries.map((e) => [
      e.name,
      e.resolved?.connector.kind ?? c.dim('?'),
      ORIGIN_LABEL[e.source],
      stateText(out, e),
      e.resolved?.dest.events.join(', ') ?? '',
    ]);
    for (const line of table([head, ...rows])) out.line(line);
    for (const e of entries) {
      const { reason } = stateOf(e);
      if (reason !== undefined) out.line(c.dim(`${e.name}: ${reason}`));
    }
  });
}

interface ShowOptions {
  revealSecret?: boolean;
}

/** A webhook's signing secret: the configured one, else the one generated on its first delivery. */
async function webhookSecret(entry: DestinationEntry, store: Store): Promise<{ secret: string; generated: boolean } | undefined> {
  const r = entry.resolved;
  if (r?.connector.kind !== 'webhook') return undefined;
  const configured = (r.dest.settings as { secret?: string }).secret;
  if (configured) return { secret: configured, generated: false };
  const generated = await connectorState(store, entry.name).get(GENERATED_SECRET_KEY);
  return generated ? { secret: generated, generated: true } : undefined;
}

export async function show([name]: string[], options: ShowOptions, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  await withEntries(globals, async (entries, store) => {
    const entry = find(entries, name);
    const view = entryView(entry);
    const signing = await webhookSecret(entry, store);
    if (signing && (signing.generated || options.revealSecret)) {
      view.settings = { ...view.settings, secret: options.revealSecret ? signing.secret : maskSecret(signing.secret) };
    }
    if (out.json) return out.data(view);
    const c = out.color;
    const rows: string[][] = [
      ['name', view.name],
      ['connector', view.connector ?? c.dim('?')],
      ['source', `${view.sourceLabel}${view.file ? ` (${view.file})` : ''}`],
      ['state', `${colorState(out, view.state)}${view.reason !== undefined ? `: ${view.reason}` : ''}`],
      ['events', view.events.join(', ')],
      ...Object.entries(view.settings).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
    ];
    if (view.overrides) rows.push(['overrides', view.overrides.map((o) => ORIGIN_LABEL[o]).join(', ')]);
    for (const line of table(rows.map(([k, v]) => [c.cyan(k), v]))) out.line(line);
    if (signing?.generated && !options.revealSecret) out.line(c.dim('secret generated on the first delivery; print it with --reveal-secret'));
    if (entry.resolved?.connector.kind === 'webhook' && !signing) out.line(c.dim('no secret yet: one is generated on the first delivery'));
  });
}

interface RemoveOptions {
  yes?: boolean;
}

export async function remove([name]: string[], options: RemoveOptions, globals: GlobalOptions): Promise<number> {
  const out = new Output(globals);
  return withEntries(globals, async (entries, store) => {
    const entry = find(entries, name);
    if (entry.source === 'project') {
      throw new UsageError(`${name} is defined in the project file ${entry.file ?? ''}: edit that file to remove it`.replace(' :', ':'), 'project_destination');
    }
    if (!options.yes) {
      if (!canPrompt(globals)) throw new UsageError(`removing ${name} needs confirmation: pass --yes`, 'confirmation_required');
      const { confirm } = await loadPrompts();
      const sure = await ask(confirm({ message: `Remove ${name} (${ORIGIN_LABEL[entry.source]})?`, default: false }));
      if (!sure) {
        out.info('nothing removed');
        return 1;
      }
    }
    const pickup = await beforeChange(globals);
    if (entry.source === 'runtime') await store.deleteRuntimeDestination(name);
    else {
      const { UserStore } = await import('../../config/user-store.js');
      new UserStore().remove(name);
    }
    await store.setDisabled(name, null);
    const daemon = await afterChange(pickup, (s) => !s.destinations.some((d) => d.name === name));
    if (out.json) out.data({ removed: name, source: entry.source, ...(daemon ? { daemon } : {}) });
    else {
      out.line(`${out.color.green('✓')} removed ${name} from the ${ORIGIN_LABEL[entry.source]}`);
      printPickup(out, daemon);
    }
    return 0;
  });
}

async function setDisabled(name: string, disabled: boolean, globals: GlobalOptions): Promise<void> {
  const out = new Output(globals);
  await withEntries(globals, async (entries, store) => {
    const entry = find(entries, name);
    const pickup = await beforeChange(globals);
    await store.setDisabled(name, disabled ? `disabled by ${process.env.USER ?? 'the user'} with vidhook destinations disable` : null);
    // The daemon reads the flags from the store it shares (at most a second old when a lane asks).
    const daemon = await afterChange(pickup, (s) => s.destinations.some((d) => d.name === name && (d.state === 'disabled') === disabled));
    const was = entry.disabledReason;
    if (out.json) return out.data({ name, state: disabled ? 'disabled' : 'enabled', ...(was !== undefined && !disabled ? { cleared: was } : {}), ...(daemon ? { daemon } : {}) });
    out.line(`${out.color.green('✓')} ${name} ${disabled ? 'disabled: nothing is delivered to it until `vidhook destinations enable ' + name + '`' : 'enabled'}`);
    printPickup(out, daemon);
    if (!disabled && was !== undefined) out.info(`cleared: ${was}`);
    if (!disabled && entry.resolved?.dest.enabled === false) out.warn(`${name} has enabled: false in the ${ORIGIN_LABEL[entry.source]}; change it there too`);
  });
}

export const enable = ([name]: string[], _: unknown, globals: GlobalOptions) => setDisabled(name, false, globals);
export const disable = ([name]: string[], _: unknown, globals: GlobalOptions) => setDisabled(name, true, globals);

interface TestOptions {
  type?: string;
}

export async function test([name]: string[], options: TestOptions, globals: GlobalOptions): Promise<number> {
  const out = new Output(globals);
  return withEntries(globals, async (entries, store, config) => {
    const entry = find(entries, name);
    if (!entry.resolved) throw new UsageError(`${name} is not valid: ${entry.error}`, 'config_error');
    const result = await testDestination(entry.resolved, store, { type: options.type, customTypes: config.customTypes, timeoutMs: config.timeoutMs, out });
    if (out.json) out.data(result);
    else printTestResult(out, result);
    return result.outcome === 'failed' ? 1 : 0;
  });
}
