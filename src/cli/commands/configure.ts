import type { z } from 'zod';
import { CONNECTORS, connectorKinds, findConnector } from '../../connectors/registry.js';
import { describeSettings, type SettingInfo } from '../../connectors/core/settings.js';
import type { AnyConnector } from '../../connectors/core/types.js';
import { knownEventTypes, matchesEventFilter } from '../../events/index.js';
import { maskedSettings, resolveDestination, UserStore } from '../../config/index.js';
import type { StoredDestination } from '../../config/user-store.js';
import { generateSecret } from '../../signing/standard-webhooks.js';
import { loadCliConfig, openStore } from '../context.js';
import { UsageError } from '../errors.js';
import { Output, type GlobalOptions } from '../output.js';
import { ask, loadPrompts, type Prompts } from '../prompts.js';
import { canPrompt } from '../tty.js';
import { afterChange, beforeChange, printPickup, reloaded } from '../daemon-pickup.js';
import { printTestResult, testDestination, type TestResult } from './destinations-probe.js';

interface ConfigureOptions {
  name?: string;
  set?: string[];
  events?: string;
  yes?: boolean;
  test?: boolean;
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;
const NAME_RULE = 'a destination name is 1-64 letters, digits, "-", "_" or "." (starting with a letter or digit)';

type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** A setting typed as text: taken as is when the schema accepts it, else as JSON (lists, header maps). */
export function parseSettingValue(connector: AnyConnector, key: string, text: string): Parsed {
  const schema = (connector.settings.shape as Record<string, z.ZodType>)[key];
  const direct = schema.safeParse(text);
  if (direct.success) return { ok: true, value: text };
  try {
    const json: unknown = JSON.parse(text);
    if (schema.safeParse(json).success) return { ok: true, value: json };
  } catch {
    // not JSON: report the schema's own reason below
  }
  return { ok: false, message: direct.error.issues[0]?.message ?? 'is not valid' };
}

function placeholder(info: SettingInfo): string {
  if (/url$/i.test(info.key)) return '<url>';
  if (info.secret) return '<secret>';
  return '<value>';
}

function parseSets(connector: AnyConnector, sets: string[]): Record<string, unknown> {
  const keys = Object.keys(connector.settings.shape);
  const values: Record<string, unknown> = {};
  for (const pair of sets) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${pair}: expected key=value, e.g. --set ${keys[0]}=…`);
    const key = pair.slice(0, eq).trim();
    if (!keys.includes(key)) throw new UsageError(`--set ${key}: the ${connector.kind} connector has no such setting; expected one of ${keys.join(', ')}`);
    const parsed = parseSettingValue(connector, key, pair.slice(eq + 1));
    if (!parsed.ok) throw new UsageError(`--set ${key}: ${parsed.message}`);
    values[key] = parsed.value;
  }
  return values;
}

function parseEvents(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}

async function chooseConnector(prompts: Prompts): Promise<AnyConnector> {
  const kind = await ask(
    prompts.select({
      message: 'Which service should receive events?',
      choices: CONNECTORS.map((c) => ({ name: `${c.title} (${c.kind})`, value: c.kind, description: c.description })),
      pageSize: 12,
    }),
  );
  return findConnector(kind)!;
}

async function askSetting(prompts: Prompts, connector: AnyConnector, info: SettingInfo, optional: boolean): Promise<unknown> {
  const message = `${info.key}${info.description ? ` — ${info.description}` : ''}${optional ? ' (empty to skip)' : ''}`;
  const validate = (text: string) => {
    if (optional && text === '') return true;
    if (!optional && text.trim() === '') return `${info.key} is required`;
    const parsed = parseSettingValue(connector, info.key, text);
    return parsed.ok ? true : `${info.key} ${parsed.message}`;
  };
  const text = info.secret
    ? await ask(prompts.password({ message, mask: '*', validate }))
    : await ask(prompts.input({ message, validate }));
  if (optional && text === '') return undefined;
  const parsed = parseSettingValue(connector, info.key, text);
  return parsed.ok ? parsed.value : text;
}

async function askEvents(prompts: Prompts, connector: AnyConnector, current: string[], customTypes: string[]): Promise<string[] | undefined> {
  const types = knownEventTypes(customTypes);
  const chosen = await ask(
    prompts.checkbox({
      message: 'Which events should it receive?',
      choices: types.map((t) => ({ name: t, value: t, checked: matchesEventFilter(t, current) })),
      required: true,
      pageSize: 12,
    }),
  );
  const defaults = types.filter((t) => matchesEventFilter(t, connector.defaultEvents));
  // Keep following the connector's defaults when that is what was picked.
  return chosen.length === defaults.length && chosen.every((t) => defaults.includes(t)) ? undefined : chosen;
}

export default async function configure([kindArg]: string[], options: ConfigureOptions, globals: GlobalOptions): Promise<number> {
  const out = new Output(globals);
  const interactive = canPrompt(globals);
  const prompts = interactive ? await loadPrompts() : undefined;
  const ctx = await loadCliConfig(globals);
  const users = new UserStore();

  let connector: AnyConnector | undefined;
  if (kindArg) {
    connector = findConnector(kindArg);
    if (!connector) throw new UsageError(`unknown connector "${kindArg}"; one of ${connectorKinds().join(', ')}`);
  } else if (prompts) connector = await chooseConnector(prompts);
  else throw new UsageError(`which connector? pass it: vidhook configure <connector> (one of ${connectorKinds().join(', ')})`);

  let name = options.name;
  if (name === undefined && prompts && !options.yes) {
    name = await ask(prompts.input({ message: 'Destination name', default: connector.kind, validate: (v) => (NAME.test(v) ? true : NAME_RULE) }));
  }
  name ??= connector.kind;
  if (!NAME.test(name)) throw new UsageError(`--name ${name}: ${NAME_RULE}`);

  const existing = users.destinations()[name];
  let base: Record<string, unknown> = {};
  if (existing && existing.connector !== connector.kind) {
    const replace =
      options.yes ||
      (prompts && (await ask(prompts.confirm({ message: `${name} is a ${existing.connector} destination; replace it with ${connector.kind}?`, default: false }))));
    if (!replace) {
      if (!prompts) throw new UsageError(`${name} is already a ${existing.connector} destination: pass --yes to replace it, or choose another --name`);
      out.info('nothing changed');
      return 1;
    }
  } else if (existing) {
    const { connector: _kind, ...rest } = existing;
    base = rest;
  }
  if (ctx.config.projectSources.some((s) => s.name === name)) {
    out.warn(`the project file ${ctx.config.projectFile ?? ''} also defines ${name}, and its definition wins over the user store`);
  }

  const { events: baseEvents, enabled: baseEnabled, ...baseSettings } = base;
  const settings: Record<string, unknown> = { ...baseSettings, ...parseSets(connector, options.set ?? []) };
  const infos = describeSettings(connector.settings);
  const isMissing = (i: SettingInfo) => settings[i.key] === undefined || settings[i.key] === '';
  // Webhook secrets are generated below rather than asked for.
  const askable = (i: SettingInfo) => !(connector.kind === 'webhook' && i.key === 'secret');

  const missingRequired = infos.filter((i) => i.required && isMissing(i));
  if (missingRequired.length && !prompts) {
    const flags = missingRequired.map((i) => `--set ${i.key}=${placeholder(i)}`).join(' ');
    throw new UsageError(`the ${connector.kind} connector needs ${missingRequired.map((i) => i.key).join(', ')}: pass ${flags}`, 'missing_setting');
  }
  if (prompts) {
    for (const info of missingRequired) settings[info.key] = await askSetting(prompts, connector, info, false);
    const optional = infos.filter((i) => !i.required && isMissing(i) && askable(i));
    if (optional.length && !options.yes) {
      const more = await ask(prompts.confirm({ message: `Set optional settings too (${optional.map((i) => i.key).join(', ')})?`, default: false }));
      if (more) {
        for (const info of optional) {
          const value = await askSetting(prompts, connector, info, true);
          if (value !== undefined) settings[info.key] = value;
        }
      }
    }
  }

  let generatedSecret: string | undefined;
  if (connector.kind === 'webhook' && isMissing({ key: 'secret' } as SettingInfo)) {
    generatedSecret = generateSecret();
    settings.secret = generatedSecret;
  }

  let events: string[] | undefined = options.events !== undefined ? parseEvents(options.events) : (baseEvents as string[] | undefined);
  if (options.events === undefined && prompts && !options.yes) {
    events = await askEvents(prompts, connector, events ?? connector.defaultEvents, ctx.config.customTypes);
  }

  const body: StoredDestination = {
    connector: connector.kind,
    ...settings,
    ...(events ? { events } : {}),
    ...(baseEnabled !== undefined ? { enabled: baseEnabled } : {}),
  };
  // Validates the whole destination (settings together, event filter) before anything is written.
  const resolved = resolveDestination({ name, source: 'user', file: users.path, body }, { env: ctx.config.env, customTypes: ctx.config.customTypes });
  const warnings = connector.warnings?.(resolved.dest.settings) ?? [];
  for (const w of warnings) out.warn(w);

  const pickup = await beforeChange(globals, ctx.config);
  users.put(name, body);
  const daemon = await afterChange(pickup, reloaded);

  const shown = maskedSettings(resolved);
  if (!out.json) {
    const c = out.color;
    out.line(`${c.green('✓')} saved ${c.bold(name)} (${connector.kind}) in ${users.path}`);
    out.line(`  events: ${resolved.dest.events.join(', ')}`);
    for (const [key, value] of Object.entries(shown)) {
      if (key === 'secret' && generatedSecret) continue;
      out.line(`  ${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
    if (generatedSecret) {
      out.line(`  secret: ${generatedSecret}`);
      out.line(c.yellow('  This signing secret is shown only once: give it to the receiver so it can verify each request.'));
    }
    printPickup(out, daemon);
  }

  let wantTest = options.test === true;
  if (!wantTest && prompts && !options.yes) {
    wantTest = await ask(prompts.confirm({ message: `Send a test event to ${name} now?`, default: true }));
  }
  let test: TestResult | undefined;
  if (wantTest) {
    const store = openStore(ctx.dataDir);
    try {
      test = await testDestination(resolved, store, { customTypes: ctx.config.customTypes, timeoutMs: ctx.config.timeoutMs, out });
    } finally {
      await store.close();
    }
    if (!out.json) printTestResult(out, test);
  }

  if (out.json) {
    out.data({
      name,
      connector: connector.kind,
      file: users.path,
      events: resolved.dest.events,
      settings: shown,
      warnings,
      ...(generatedSecret ? { signingSecret: generatedSecret } : {}),
      ...(test ? { test } : {}),
      ...(daemon ? { daemon } : {}),
    });
  }
  return test?.outcome === 'failed' ? 1 : 0;
}
