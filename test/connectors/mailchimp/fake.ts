import { createHash, randomUUID } from 'node:crypto';
import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../../helpers/receiver.js';

/**
 * A local Mailchimp account (Marketing API 3.0) as strict as its documentation: Basic auth with any
 * user name and the key as password, members addressed by the MD5 of the lower-cased email, upserts
 * that never change an existing member's status and ignore their tags, the event name and property
 * rules, problem-detail error bodies, and at most 10 simultaneous connections.
 */
export interface FakeMailchimpOptions {
  apiKey: string;
  lists?: Record<string, string>;
  /** Merge fields the audience requires of a new member. */
  requiredMergeFields?: string[];
  /** How long each answer takes, so simultaneous requests overlap. */
  delayMs?: number;
}

export interface FakeMember {
  email: string;
  status: string;
  mergeFields: Record<string, string | number>;
  tags: Set<string>;
  events: Array<{ name: string; occurred_at?: string; is_syncing?: boolean; properties?: Record<string, string> }>;
}

interface FakeList {
  name: string;
  members: Map<string, FakeMember>;
}

export const MAX_CONNECTIONS = 10;
const AUDIENCE_FIELDS = new Set(['FNAME', 'LNAME', 'ADDRESS', 'PHONE', 'BIRTHDAY', 'PLAN', 'COMPANY']);
const STATUSES = new Set(['subscribed', 'unsubscribed', 'cleaned', 'pending', 'transactional']);
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export const md5 = (email: string) => createHash('md5').update(email.toLowerCase()).digest('hex');

type FieldError = { field: string; message: string };

function problem(status: number, title: string, detail: string, errors?: FieldError[]): Reply {
  return {
    status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8' },
    body: { type: 'https://mailchimp.com/developer/marketing/docs/errors/', title, status, detail, instance: randomUUID(), ...(errors ? { errors } : {}) },
  };
}

const invalid = (errors: FieldError[], detail = "The resource submitted could not be validated. For field-specific details, see the 'errors' array.") =>
  problem(400, 'Invalid Resource', detail, errors);
const notFound = () => problem(404, 'Resource Not Found', 'The requested resource could not be found.');

export class FakeMailchimp {
  readonly lists = new Map<string, FakeList>();
  /** Addresses permanently deleted ("forgotten") from every audience. */
  readonly forgotten = new Set<string>();
  /** Addresses in compliance review (abuse reports, global suppression). */
  readonly compliance = new Set<string>();
  /** Most requests answered at once so far. */
  peakConnections = 0;
  private connections = 0;
  private injected: Reply[] = [];

  private constructor(
    readonly receiver: Receiver,
    readonly options: FakeMailchimpOptions,
  ) {
    for (const [id, name] of Object.entries(options.lists ?? { a1b2c3d4e5: 'Vidhook users' })) this.lists.set(id, { name, members: new Map() });
  }

  static async start(options: FakeMailchimpOptions): Promise<FakeMailchimp> {
    let fake: FakeMailchimp | undefined;
    const receiver = await startReceiver((req) => fake!.answer(req));
    fake = new FakeMailchimp(receiver, options);
    return fake;
  }

  get origin(): string {
    return this.receiver.origin;
  }

  get requests(): ReceivedRequest[] {
    return this.receiver.requests;
  }

  close(): Promise<void> {
    return this.receiver.close();
  }

  /** The next request is answered with this, after the credentials are checked. */
  injectOnce(reply: Reply): void {
    this.injected.push(reply);
  }

  addMember(listId: string, email: string, status = 'subscribed'): FakeMember {
    const member: FakeMember = { email, status, mergeFields: {}, tags: new Set(), events: [] };
    this.lists.get(listId)!.members.set(md5(email), member);
    return member;
  }

  member(listId: string, email: string): FakeMember | undefined {
    return this.lists.get(listId)?.members.get(md5(email));
  }

  private async answer(req: ReceivedRequest): Promise<Reply> {
    if (this.connections >= MAX_CONNECTIONS) {
      return problem(429, 'Too Many Requests', `You have exceeded the limit of ${MAX_CONNECTIONS} simultaneous connections.`);
    }
    this.connections++;
    this.peakConnections = Math.max(this.peakConnections, this.connections);
    try {
      if (this.options.delayMs) await new Promise((r) => setTimeout(r, this.options.delayMs));
      return this.handle(req);
    } finally {
      this.connections--;
    }
  }

  private authorized(header: string | undefined): boolean {
    if (!header) return false;
    const basic = /^Basic (.+)$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      return colon >= 0 && decoded.slice(colon + 1) === this.options.apiKey;
    }
    return header === `Bearer ${this.options.apiKey}`;
  }

  private handle(req: ReceivedRequest): Reply {
    if (!this.authorized(req.headers.authorization)) {
      return problem(401, 'API Key Invalid', "Your API key may be invalid, or you've attempted to access the wrong datacenter.");
    }
    const injected = this.injected.shift();
    if (injected) return injected;

    const { pathname } = new URL(req.url, 'http://fake');
    if (pathname === '/3.0/ping') return req.method === 'GET' ? { status: 200, body: { health_status: "Everything's Chimpy!" } } : this.notAllowed();

    const route = /^\/3\.0\/lists\/([^/]+)(?:\/members\/([^/]+)(?:\/(tags|events))?)?$/.exec(pathname);
    if (!route) return notFound();
    const [, listId, hash, sub] = route;
    const list = this.lists.get(listId);
    if (!list) return notFound();
    if (!hash) {
      if (req.method !== 'GET') return this.notAllowed();
      return { status: 200, body: { id: listId, name: list.name, stats: { member_count: list.members.size } } };
    }
    if ((req.method === 'PUT' || req.method === 'POST') && !/^application\/json/.test(req.headers['content-type'] ?? '')) {
      return problem(400, 'Bad Request', 'The request body must be JSON.');
    }
    if (!sub) return req.method === 'PUT' ? this.upsert(list, hash, req) : this.notAllowed();
    const member = list.members.get(hash);
    if (req.method !== 'POST') return this.notAllowed();
    if (!member) return notFound();
    return sub === 'tags' ? this.tag(member, req) : this.event(member, req);
  }

  private notAllowed(): Reply {
    return problem(405, 'Method Not Allowed', 'The requested method and resource are not compatible.');
  }

  private upsert(list: FakeList, hash: string, req: ReceivedRequest): Reply {
    const body = req.json<{ email_address?: unknown; status_if_new?: unknown; status?: unknown; merge_fields?: Record<string, unknown>; tags?: unknown }>();
    if (typeof body.email_address !== 'string' || body.email_address === '') return invalid([{ field: 'email_address', message: 'This value should not be blank.' }]);
    const email = body.email_address;
    if (!EMAIL.test(email)) return problem(400, 'Invalid Resource', `${email} looks fake or invalid, please enter a real email address.`);
    if (md5(email) !== hash) return invalid([{ field: 'email_address', message: 'The email address does not match the subscriber hash in the URL.' }]);
    for (const key of ['status_if_new', 'status'] as const) {
      if (body[key] !== undefined && !STATUSES.has(String(body[key]))) return invalid([{ field: key, message: 'Value must be one of: subscribed, unsubscribed, cleaned, pending, transactional' }]);
    }
    const lower = email.toLowerCase();
    if (this.forgotten.has(lower)) {
      return problem(400, 'Forgotten Email Not Subscribed', `${email} was permanently deleted and cannot be re-imported. The contact must re-subscribe to get back on the list.`);
    }
    if (this.compliance.has(lower)) {
      return problem(400, 'Member In Compliance State', `${email} is in a compliance state due to unsubscribe, bounce, or compliance review and cannot be subscribed.`);
    }
    const merge = body.merge_fields ?? {};
    const wrongType = Object.entries(merge).find(([, v]) => typeof v !== 'string' && typeof v !== 'number');
    if (wrongType) return invalid([{ field: wrongType[0], message: 'Please enter a value of text or a number' }], 'Your merge fields were invalid.');

    let member = list.members.get(hash);
    if (!member) {
      const status = body.status ?? body.status_if_new;
      if (status === undefined) return invalid([{ field: 'status', message: 'A status is required for a new member (status_if_new).' }]);
      const missing = (this.options.requiredMergeFields ?? []).filter((f) => merge[f] === undefined || merge[f] === '');
      if (missing.length) return invalid(missing.map((field) => ({ field, message: 'Please enter a value' })), 'Your merge fields were invalid.');
      member = { email, status: String(status), mergeFields: {}, tags: new Set(), events: [] };
      // Tags sent with the upsert are applied to a new member only.
      if (Array.isArray(body.tags)) for (const t of body.tags) member.tags.add(String(t));
      list.members.set(hash, member);
    } else if (body.status !== undefined) {
      member.status = String(body.status);
    }
    for (const [tag, value] of Object.entries(merge)) if (AUDIENCE_FIELDS.has(tag)) member.mergeFields[tag] = value as string | number;
    return { status: 200, body: { id: hash, email_address: member.email, status: member.status, merge_fields: member.mergeFields } };
  }

  private tag(member: FakeMember, req: ReceivedRequest): Reply {
    const body = req.json<{ tags?: Array<{ name?: unknown; status?: unknown }> }>();
    if (!Array.isArray(body.tags)) return invalid([{ field: 'tags', message: 'This value should not be blank.' }]);
    for (const t of body.tags) {
      if (typeof t.name !== 'string' || t.name.trim() === '') return invalid([{ field: 'tags.name', message: 'This value should not be blank.' }]);
      if (t.status !== 'active' && t.status !== 'inactive') return invalid([{ field: 'tags.status', message: 'Value must be one of: active, inactive' }]);
    }
    for (const t of body.tags) {
      if (t.status === 'active') member.tags.add(String(t.name));
      else member.tags.delete(String(t.name));
    }
    return { status: 204 };
  }

  private event(member: FakeMember, req: ReceivedRequest): Reply {
    const body = req.json<{ name?: unknown; occurred_at?: unknown; is_syncing?: unknown; properties?: unknown }>();
    if (typeof body.name !== 'string' || !/^[A-Za-z0-9_-]{2,30}$/.test(body.name)) {
      return invalid([{ field: 'name', message: 'Event names may contain letters, numbers, underscores and dashes, 2 to 30 characters.' }]);
    }
    if (body.occurred_at !== undefined && (typeof body.occurred_at !== 'string' || !ISO_8601.test(body.occurred_at))) {
      return invalid([{ field: 'occurred_at', message: 'Must be an ISO 8601 date and time.' }]);
    }
    if (body.is_syncing !== undefined && typeof body.is_syncing !== 'boolean') return invalid([{ field: 'is_syncing', message: 'Must be a boolean.' }]);
    if (body.properties !== undefined) {
      if (!body.properties || typeof body.properties !== 'object' || Array.isArray(body.properties)) return invalid([{ field: 'properties', message: 'Must be an object.' }]);
      for (const [key, value] of Object.entries(body.properties)) {
        if (!/^[A-Za-z0-9_]+$/.test(key)) return invalid([{ field: `properties.${key}`, message: 'Property names may contain letters, numbers and underscores.' }]);
        if (typeof value !== 'string') return invalid([{ field: `properties.${key}`, message: 'Property values must be strings.' }]);
      }
    }
    member.events.push(body as FakeMember['events'][number]);
    return { status: 204 };
  }
}
