import { isIP } from 'node:net';
import { startReceiver, type Receiver, type Reply } from '../../helpers/receiver.js';

// A local Graph API that checks Conversions API requests the way Meta does and answers with its error bodies.

const HASHED_FIELDS = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id'];
const ACTION_SOURCES = ['website', 'app', 'email', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other'];
const SHA256 = /^[a-f0-9]{64}$/;

export interface FakeMetaOptions {
  pixelId: string;
  accessToken: string;
  now?: () => number;
}

export interface ReceivedServerEvent {
  event: Record<string, any>;
  testEventCode?: string;
  version: string;
}

export interface FakeMeta {
  origin: string;
  receiver: Receiver;
  received: ReceivedServerEvent[];
  /** Answers to use, in order, before the normal behaviour resumes. */
  queue: Reply[];
  close(): Promise<void>;
}

export function graphError(status: number, code: number, message: string, extra: Record<string, unknown> = {}): Reply {
  return {
    status,
    body: { error: { message, type: 'OAuthException', code, is_transient: false, fbtrace_id: 'AbCdEfGh123', ...extra } },
  };
}

const invalid = (subcode: number, title: string, msg: string) =>
  graphError(400, 100, 'Invalid parameter', { error_subcode: subcode, error_user_title: title, error_user_msg: msg });

/** Meta's checks of one server event; a reply when it is refused. */
export function checkServerEvent(event: any, index: number, now: number): Reply | undefined {
  const at = `data[${index}]`;
  if (typeof event?.event_name !== 'string' || event.event_name.length === 0 || event.event_name.length > 50) {
    return invalid(2804001, 'Missing event_name', `${at}.event_name is required (at most 50 characters).`);
  }
  if (!Number.isInteger(event.event_time) || String(event.event_time).length !== 10) {
    return invalid(2804002, 'Invalid event_time', `${at}.event_time must be a Unix timestamp in seconds.`);
  }
  const nowSec = Math.floor(now / 1000);
  if (event.event_time < nowSec - 7 * 86_400) {
    return invalid(2804003, 'Event Timestamp Too Old', 'The timestamp for this event is too far in the past. Events need to be sent from your server within 7 days.');
  }
  if (event.event_time > nowSec + 60) return invalid(2804004, 'Event Timestamp In Future', 'event_time is in the future.');
  if (!ACTION_SOURCES.includes(event.action_source)) {
    return invalid(2804050, 'Invalid action_source', `${at}.action_source must be one of ${ACTION_SOURCES.join(', ')}.`);
  }
  const user = event.user_data;
  if (!user || typeof user !== 'object') return invalid(2804007, 'Missing user_data', `${at}.user_data is required.`);
  if (event.action_source === 'website') {
    if (typeof event.event_source_url !== 'string' || !/^https?:\/\//.test(event.event_source_url)) {
      return invalid(2804016, 'Missing event_source_url', 'Website events need event_source_url.');
    }
    if (typeof user.client_user_agent !== 'string' || user.client_user_agent.length === 0) {
      return invalid(2804017, 'Missing client_user_agent', 'Website events need user_data.client_user_agent.');
    }
  }
  for (const field of HASHED_FIELDS) {
    if (user[field] === undefined) continue;
    const values = Array.isArray(user[field]) ? user[field] : [user[field]];
    for (const value of values) {
      if (typeof value === 'string' && value.includes('@')) {
        return invalid(2804019, 'Unhashed email', `${at}.user_data.${field} looks like a raw email address; hash it with SHA-256.`);
      }
      if (typeof value !== 'string' || !SHA256.test(value)) {
        return invalid(2804019, 'Invalid hashed parameter', `${at}.user_data.${field} must be a SHA-256 hex digest.`);
      }
    }
  }
  if (user.client_ip_address !== undefined && !isIP(user.client_ip_address)) {
    return invalid(2804019, 'Invalid client_ip_address', `${at}.user_data.client_ip_address is not an IP address.`);
  }
  for (const cookie of ['fbp', 'fbc']) {
    if (user[cookie] !== undefined && !/^fb\.\d\.\d+\.\S+$/.test(user[cookie])) {
      return invalid(2804019, `Invalid ${cookie}`, `${at}.user_data.${cookie} is not in fb.1.<time>.<value> form.`);
    }
  }
  const identifiers = [...HASHED_FIELDS, 'client_ip_address', 'fbp', 'fbc'].filter((f) => user[f] !== undefined);
  if (identifiers.length === 0) return invalid(2804007, 'Missing customer information', 'user_data needs at least one customer information parameter.');
  if (event.event_id !== undefined && typeof event.event_id !== 'string') return invalid(2804001, 'Invalid event_id', 'event_id must be a string.');
  return undefined;
}

export async function startFakeMeta(options: FakeMetaOptions): Promise<FakeMeta> {
  const now = options.now ?? Date.now;
  const fake = { received: [], queue: [] } as unknown as FakeMeta;
  const receiver = await startReceiver((req) => {
    const queued = fake.queue.shift();
    if (queued) return queued;
    const url = new URL(req.url, 'http://graph.local');
    const match = /^\/(v\d+\.\d+)\/(\d+)(\/events)?$/.exec(url.pathname);
    if (!match) return graphError(400, 2500, 'Unknown path components');
    const [, version, pixelId, events] = match;
    let body: Record<string, any> = {};
    if (req.body) {
      try {
        body = JSON.parse(req.body);
      } catch {
        return graphError(400, 100, 'Invalid JSON body');
      }
    }
    const token = body.access_token ?? url.searchParams.get('access_token') ?? req.headers.authorization?.replace(/^Bearer /, '');
    if (!token) return graphError(400, 104, 'An access token is required to request this resource.');
    if (token !== options.accessToken) {
      return graphError(400, 190, 'Error validating access token: Session has expired on Tuesday, 24-Nov-26 10:00:00 PST.', { error_subcode: 463 });
    }
    if (pixelId !== options.pixelId) {
      return graphError(400, 100, `Unsupported post request. Object with ID '${pixelId}' does not exist`, { error_subcode: 33 });
    }
    if (!events) {
      if (req.method !== 'GET') return graphError(400, 100, 'Unsupported request');
      return { status: 200, body: { id: pixelId, name: 'Vidhook Studio Pixel' } };
    }
    if (req.method !== 'POST') return graphError(400, 100, 'Unsupported request');
    const data = body.data;
    if (!Array.isArray(data) || data.length === 0 || data.length > 1000) {
      return graphError(400, 100, 'The parameter data is required and must hold 1 to 1000 events');
    }
    // One invalid event refuses the whole batch.
    for (const [index, event] of data.entries()) {
      const refusal = checkServerEvent(event, index, now());
      if (refusal) return refusal;
    }
    for (const event of data) fake.received.push({ event, testEventCode: body.test_event_code, version });
    return { status: 200, body: { events_received: data.length, messages: [], fbtrace_id: 'AbCdEfGh123' } };
  });
  fake.receiver = receiver;
  fake.origin = receiver.origin;
  fake.close = () => receiver.close();
  return fake;
}
