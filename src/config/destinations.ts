import type { z } from 'zod';
import { findConnector, connectorKinds } from '../connectors/registry.js';
import type { AnyConnector } from '../connectors/core/types.js';
import type { DeliveryLimits, DestinationOrigin, ResolvedDestination } from '../destinations/index.js';
import { globToRegExp, knownEventTypes } from '../events/index.js';
import { ConfigError, ConfigErrors } from './errors.js';
import { interpolateEnv } from './interpolate.js';
import { parseDuration } from './duration.js';

export interface DestinationSource {
  name: string;
  source: DestinationOrigin;
  /** Where it was read from, for messages: a file path, or "daemon" for runtime registrations. */
  file?: string;
  body: Record<string, unknown>;
}

const RESERVED = new Set(['connector', 'events', 'enabled', 'retry', 'limits', 'description', 'name']);
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

function checkEvents(value: unknown, customTypes: readonly string[], where: { file?: string; destination: string }): string[] | undefined {
  if (value === undefined) return undefined;
  const list = typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) {
    throw new ConfigError('must be a list of event types or globs such as video.* or *', { ...where, setting: 'events' });
  }
  const known = knownEventTypes(customTypes);
  for (const pattern of list as string[]) {
    const regex = globToRegExp(pattern);
    if (!known.some((t) => regex.test(t))) {
      throw new ConfigError(`"${pattern}" matches no event type; known types: ${known.join(', ')}`, { ...where, setting: 'events' });
    }
  }
  return list as string[];
}

function checkRetry(value: unknown, where: { file?: string; destination: string }): number[] | undefined {
  if (value === undefined) return undefined;
  const schedule = (value as { schedule?: unknown })?.schedule;
  if (!Array.isArray(schedule) || schedule.length === 0) {
    throw new ConfigError('must be { schedule: [0s, 5s, 5m, …] }', { ...where, setting: 'retry' });
  }
  return schedule.map((step) => {
    const ms = parseDuration(String(step));
    if (ms === undefined) throw new ConfigError(`"${step}" is not a duration such as 5s, 5m or 2h`, { ...where, setting: 'retry.schedule' });
    return ms;
  });
}

const LIMIT_KEYS: Record<keyof DeliveryLimits, { max: number; whole: boolean; example: string }> = {
  concurrency: { max: 256, whole: true, example: 'concurrency: 2 (requests in flight at once)' },
  perSecond: { max: 10_000, whole: false, example: 'perSecond: 5 (requests started per second)' },
};

function checkLimits(value: unknown, where: { file?: string; destination: string }): DeliveryLimits | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('must be { concurrency: 2, perSecond: 5 } (either or both)', { ...where, setting: 'limits' });
  }
  const limits: DeliveryLimits = {};
  for (const [key, raw] of Object.entries(value)) {
    const rule = LIMIT_KEYS[key as keyof DeliveryLimits];
    if (!rule) throw new ConfigError('unknown limit; expected concurrency or perSecond', { ...where, setting: `limits.${key}` });
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > rule.max || (rule.whole && !Number.isInteger(n))) {
      const kind = rule.whole ? 'a whole number' : 'a number';
      throw new ConfigError(`must be ${kind} above 0 and at most ${rule.max}, as in ${rule.example}`, { ...where, setting: `limits.${key}` });
    }
    limits[key as keyof DeliveryLimits] = n;
  }
  return limits;
}

/** Validates one destination against its connector; every error names file, destination and setting. */
export function resolveDestination(
  source: DestinationSource,
  options: { env?: NodeJS.ProcessEnv; customTypes?: readonly string[] } = {},
): ResolvedDestination<AnyConnector> {
  const where = { file: source.file, destination: source.name };
  if (!NAME.test(source.name)) {
    throw new ConfigError('a destination name is 1-64 letters, digits, "-", "_" or "."', where);
  }
  const body = (source.source === 'runtime' ? source.body : interpolateEnv(source.body, options.env ?? process.env, where)) as Record<string, unknown>;
  const kind = body.connector;
  if (typeof kind !== 'string' || !kind) {
    throw new ConfigError(`"connector" is required; one of ${connectorKinds().join(', ')}`, { ...where, setting: 'connector' });
  }
  const connector = findConnector(kind);
  if (!connector) throw new ConfigError(`unknown connector "${kind}"; one of ${connectorKinds().join(', ')}`, { ...where, setting: 'connector' });

  const raw: Record<string, unknown> = {};
  const shape = connector.settings.shape as Record<string, z.ZodType>;
  for (const [key, value] of Object.entries(body)) {
    if (RESERVED.has(key)) continue;
    if (!(key in shape)) {
      throw new ConfigError(`unknown setting for the ${kind} connector; expected one of ${Object.keys(shape).join(', ')}`, {
        ...where,
        setting: key,
      });
    }
    raw[key] = value;
  }
  const parsed = connector.settings.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const setting = issue.path.map(String).join('.') || undefined;
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    throw new ConfigError(missing ? 'is required' : issue.message, { ...where, setting });
  }
  if (body.enabled !== undefined && typeof body.enabled !== 'boolean') {
    throw new ConfigError('must be true or false', { ...where, setting: 'enabled' });
  }
  const events = checkEvents(body.events, options.customTypes ?? [], where) ?? connector.defaultEvents;
  const retrySchedule = checkRetry(body.retry, where);
  const limits = checkLimits(body.limits, where);
  return {
    connector,
    dest: {
      name: source.name,
      connector: kind,
      events,
      enabled: body.enabled !== false,
      source: source.source,
      settings: parsed.data as Record<string, unknown>,
      ...(retrySchedule ? { retrySchedule } : {}),
      ...(limits ? { limits } : {}),
    },
  };
}

/** Later sources win by name: user store, then project file, then runtime registrations. */
export function mergeSources(...layers: DestinationSource[][]): DestinationSource[] {
  const byName = new Map<string, DestinationSource>();
  for (const layer of layers) for (const source of layer) byName.set(source.name, source);
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function resolveAll(
  sources: DestinationSource[],
  options: { env?: NodeJS.ProcessEnv; customTypes?: readonly string[] } = {},
): ResolvedDestination<AnyConnector>[] {
  const errors: ConfigError[] = [];
  const resolved: ResolvedDestination<AnyConnector>[] = [];
  for (const source of sources) {
    try {
      resolved.push(resolveDestination(source, options));
    } catch (err) {
      if (err instanceof ConfigError) errors.push(err);
      else throw err;
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ConfigErrors(errors);
  return resolved;
}
