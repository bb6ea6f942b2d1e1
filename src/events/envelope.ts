import { z } from 'zod';
import { isBuiltinEventType, BUILTIN_EVENT_TYPES } from './catalog.js';
import { dataSchemas, customDataSchema } from './schemas.js';
import { newEventId, EVENT_ID_PATTERN } from './ids.js';
import { withoutPrototypeKeys } from './safe-json.js';

export interface Envelope<D = Record<string, unknown>> {
  id: string;
  type: string;
  timestamp: string;
  data: D;
}

export interface EventInput {
  id?: unknown;
  type?: unknown;
  timestamp?: unknown;
  data?: unknown;
}

export interface EventIssue {
  path: string;
  message: string;
}

export class InvalidEventError extends Error {
  readonly code: 'invalid_event' | 'unknown_event_type';
  constructor(
    message: string,
    readonly details: EventIssue[] = [],
    code: 'invalid_event' | 'unknown_event_type' = 'invalid_event',
  ) {
    super(message);
    this.name = 'InvalidEventError';
    this.code = code;
  }
}

export interface EnvelopeOptions {
  customTypes?: readonly string[];
  now?: () => Date;
}

export function knownEventTypes(customTypes: readonly string[] = []): string[] {
  return [...BUILTIN_EVENT_TYPES, ...customTypes];
}

// Validates one event and fills in what the caller may leave out (id, timestamp).
export function buildEnvelope(input: EventInput, options: EnvelopeOptions = {}): Envelope {
  const issues: EventIssue[] = [];
  const type = typeof input.type === 'string' ? input.type.trim() : '';
  const custom = options.customTypes ?? [];
  if (!type) throw new InvalidEventError('event type is required', [{ path: 'type', message: 'is required' }]);
  if (!isBuiltinEventType(type) && !custom.includes(type)) {
    throw new InvalidEventError(
      `unknown event type "${type}"; known types: ${knownEventTypes(custom).join(', ')} (declare others under events.custom in the config)`,
      [{ path: 'type', message: 'is not a known event type' }],
      'unknown_event_type',
    );
  }

  let id: string;
  if (input.id === undefined || input.id === null || input.id === '') id = newEventId();
  else if (typeof input.id === 'string' && EVENT_ID_PATTERN.test(input.id)) id = input.id;
  else {
    issues.push({ path: 'id', message: 'must be 1-128 characters of letters, digits, "_" or "-"' });
    id = '';
  }

  const timestamp = parseTimestamp(input.timestamp, options.now ?? (() => new Date()), issues);

  const schema = isBuiltinEventType(type) ? dataSchemas[type] : customDataSchema;
  const parsed = schema.safeParse(withoutPrototypeKeys(input.data ?? {}));
  if (!parsed.success) issues.push(...toIssues(parsed.error));

  if (issues.length > 0) {
    // Every field, so one correction fixes the event.
    throw new InvalidEventError(`invalid ${type} event: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
  return { id, type, timestamp: timestamp!, data: (parsed.data ?? {}) as Record<string, unknown> };
}

function parseTimestamp(value: unknown, now: () => Date, issues: EventIssue[]): string | undefined {
  if (value === undefined || value === null || value === '') return now().toISOString();
  const date = typeof value === 'string' || typeof value === 'number' ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) {
    issues.push({ path: 'timestamp', message: 'must be an ISO-8601 date, e.g. 2026-11-27T19:40:00Z' });
    return undefined;
  }
  return date.toISOString();
}

function toIssues(error: z.ZodError): EventIssue[] {
  return error.issues.map((issue) => {
    const path = ['data', ...issue.path.map(String)].join('.');
    const message = issue.code === 'invalid_type' && issue.input === undefined ? 'is required' : issue.message;
    return { path, message };
  });
}
