import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../../helpers/receiver.js';

/** A local HubSpot account: contacts batch upsert and read, notes with associations, the 10-second window. */
export interface FakeHubspotOptions {
  token: string;
  /** Requests allowed per rolling window (100 on Free/Starter). */
  perWindow?: number;
  windowMs?: number;
  /** Contact properties that exist besides the default ones. */
  customProperties?: string[];
}

export interface FakeContact {
  id: string;
  properties: Record<string, string>;
}

export interface FakeNote {
  id: string;
  properties: Record<string, string>;
  contactIds: string[];
  associationTypeIds: number[];
}

const DEFAULT_PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'company', 'city', 'country', 'lifecyclestage'];

export class FakeHubspot {
  readonly contacts = new Map<string, FakeContact>();
  readonly notes = new Map<string, FakeNote>();
  /** Set to simulate the account's daily allocation being used up. */
  dailyExhausted = false;
  private window: number[] = [];
  private counter = 100;
  private injected: Array<{ status: number; body?: unknown; headers?: Record<string, string> }> = [];

  private constructor(
    readonly receiver: Receiver,
    readonly options: FakeHubspotOptions,
  ) {}

  static async start(options: FakeHubspotOptions): Promise<FakeHubspot> {
    let fake: FakeHubspot | undefined;
    const receiver = await startReceiver((req) => fake!.handle(req));
    fake = new FakeHubspot(receiver, options);
    return fake;
  }

  get origin(): string {
    return this.receiver.origin;
  }

  get requests(): ReceivedRequest[] {
    return this.receiver.requests;
  }

  injectOnce(answer: { status: number; body?: unknown; headers?: Record<string, string> }): void {
    this.injected.push(answer);
  }

  close(): Promise<void> {
    return this.receiver.close();
  }

  private limitHeaders(remaining: number): Record<string, string> {
    return {
      'x-hubspot-ratelimit-max': String(this.options.perWindow ?? 100),
      'x-hubspot-ratelimit-remaining': String(Math.max(0, remaining)),
      'x-hubspot-ratelimit-interval-milliseconds': String(this.options.windowMs ?? 10_000),
      'x-hubspot-ratelimit-daily': '250000',
      'x-hubspot-ratelimit-daily-remaining': this.dailyExhausted ? '0' : '249000',
    };
  }

  private handle(req: ReceivedRequest): Reply {
    if (req.headers.authorization !== `Bearer ${this.options.token}`) {
      return {
        status: 401,
        body: {
          status: 'error',
          message: 'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
          correlationId: 'c0ffee00-0000-4000-8000-000000000001',
          category: 'INVALID_AUTHENTICATION',
        },
      };
    }
    const now = Date.now();
    const windowMs = this.options.windowMs ?? 10_000;
    this.window = this.window.filter((t) => t > now - windowMs);
    const max = this.options.perWindow ?? 100;
    if (this.dailyExhausted) return this.tooMany('DAILY', 'You have reached your daily limit.', max - this.window.length);
    if (this.window.length >= max) return this.tooMany('TEN_SECONDLY_ROLLING', 'You have reached your ten_secondly_rolling limit.', 0);
    this.window.push(now);
    const headers = this.limitHeaders(max - this.window.length);
    const injected = this.injected.shift();
    if (injected) return { ...injected, headers: { ...headers, ...injected.headers } };
    const answer = this.route(req);
    return { ...answer, headers: { ...headers, ...answer.headers } };
  }

  private tooMany(policyName: string, message: string, remaining: number): Reply {
    return {
      status: 429,
      headers: this.limitHeaders(remaining),
      body: { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: 'c0ffee00-0000-4000-8000-000000000002', policyName, requestId: 'r1' },
    };
  }

  private route(req: ReceivedRequest): Reply {
    const [path, query] = req.url.split('?');
    const m = /^\/crm\/(?:objects\/(\d{4}-\d{2})|(v3)\/objects)\/(contacts|notes)(\/batch\/upsert)?$/.exec(path);
    if (!m) return { status: 404, body: { status: 'error', message: `no route ${path}`, category: 'OBJECT_NOT_FOUND' } };
    const [, , , object, batch] = m;
    if (object === 'contacts' && batch && req.method === 'POST') return this.upsert(req.json());
    if (object === 'contacts' && !batch && req.method === 'GET') {
      const limit = Number(new URLSearchParams(query).get('limit') ?? 10);
      return { status: 200, body: { results: [...this.contacts.values()].slice(0, limit).map((c) => ({ id: c.id, properties: c.properties })) } };
    }
    if (object === 'notes' && !batch && req.method === 'POST') return this.createNote(req.json());
    return { status: 405, body: { status: 'error', message: 'method not allowed' } };
  }

  private upsert(body: { inputs: Array<{ idProperty: string; id: string; properties: Record<string, string> }> }): Reply {
    const known = new Set([...DEFAULT_PROPERTIES, ...(this.options.customProperties ?? [])]);
    const invalid = body.inputs.flatMap((i) => Object.keys(i.properties).filter((p) => !known.has(p)));
    if (invalid.length > 0) {
      const verdicts = invalid.map((name) => ({ isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name }));
      return {
        status: 400,
        body: {
          status: 'error',
          message: `Property values were not valid: ${JSON.stringify(verdicts)}`,
          correlationId: 'c0ffee00-0000-4000-8000-000000000003',
          category: 'VALIDATION_ERROR',
        },
      };
    }
    const results = body.inputs.map((input) => {
      if (input.idProperty !== 'email') throw new Error('the fake only upserts by email');
      let contact = [...this.contacts.values()].find((c) => c.properties.email === input.id.toLowerCase());
      const isNew = !contact;
      if (!contact) {
        contact = { id: String((this.counter += 1)), properties: { email: input.id.toLowerCase() } };
        this.contacts.set(contact.id, contact);
      }
      Object.assign(contact.properties, input.properties);
      return { id: contact.id, new: isNew, properties: contact.properties, createdAt: new Date().toISOString(), updatedAt: new Date().toISOString(), archived: false };
    });
    return { status: 200, body: { status: 'COMPLETE', results, startedAt: new Date().toISOString(), completedAt: new Date().toISOString() } };
  }

  private createNote(body: {
    properties: Record<string, string>;
    associations?: Array<{ to: { id: string }; types: Array<{ associationCategory: string; associationTypeId: number }> }>;
  }): Reply {
    if (!body.properties?.hs_timestamp) {
      return { status: 400, body: { status: 'error', message: 'Property values were not valid: [{"isValid":false,"message":"hs_timestamp is required","error":"REQUIRED","name":"hs_timestamp"}]', category: 'VALIDATION_ERROR' } };
    }
    const associations = body.associations ?? [];
    const missing = associations.find((a) => !this.contacts.has(a.to.id));
    if (missing) {
      return { status: 400, body: { status: 'error', message: `One or more associations are invalid: contact ${missing.to.id} was not found`, category: 'VALIDATION_ERROR' } };
    }
    const id = String((this.counter += 1));
    this.notes.set(id, {
      id,
      properties: body.properties,
      contactIds: associations.map((a) => a.to.id),
      associationTypeIds: associations.flatMap((a) => a.types.map((t) => t.associationTypeId)),
    });
    return { status: 201, body: { id, properties: body.properties, createdAt: new Date().toISOString(), archived: false } };
  }
}
