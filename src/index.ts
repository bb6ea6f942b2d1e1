import { verify, WebhookVerificationError } from './signing/standard-webhooks.js';

export { createClient, DaemonError, DaemonUnreachableError } from './client.js';
export type { ClientOptions, EmitInput, AcceptedEvents, VidhookClient } from './client.js';
export { WebhookVerificationError } from './signing/standard-webhooks.js';
export { BUILTIN_EVENT_TYPES, EVENT_DESCRIPTIONS } from './events/catalog.js';
export type {
  BuiltinEventType,
  EventDataByType,
  VideoGeneratedData,
  VideoCompletedData,
  VideoFailedData,
  UserRegisteredData,
  SessionStartedData,
  SessionEndedData,
  Video,
  User,
  Session,
  EventContext,
} from './events/schemas.js';
export type { Envelope } from './events/envelope.js';

type Headers = Record<string, string | string[] | undefined> | globalThis.Headers;

/**
 * For receivers: checks a Standard Webhooks signature over the raw body and returns the parsed
 * event; throws WebhookVerificationError when the signature or the timestamp is wrong.
 */
export function verifyWebhook<T = unknown>(secret: string, headers: Headers, rawBody: string | Buffer): T {
  verify(secret, headers, rawBody);
  try {
    return JSON.parse(typeof rawBody === 'string' ? rawBody : rawBody.toString('utf8')) as T;
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
}
