import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../../helpers/receiver.js';

/** A local HubSpot account: contacts batch upsert and read, notes with associations, the 10-second window. */
export interface FakeHubspotOptions {
  token: string;
  /** Requests allowed per rolling window (100 on Free/Starter). */
  perWindow?: number;
  windowMs?: number;
  /** Contact properties that exist besides the default ones. */
  customProperties?: string[];
  /** Deal pipelines: id → stage ids in order (default: HubSpot's "default" sales pipeline). */
  pipelines?: Record<string, string[]>;
  /** Timeline event templates of the app: id → the tokens it declares. */
  timelineTemplates?: Record<string, string[]>;
}

export interface FakeDeal {
  id: string;
  properties: Record<string, string>;
  contactIds: string[];
  associationTypeIds: number[];
  createdAt: number;
}

export interface FakeTimelineEvent {
  id: string;
  eventTemplateId: string;
  email?: string;
  objectId?: string;
  timestamp?: string;
  tokens: Record<string, string | number>;
}

/** The stages of HubSpot's default sales pipeline. */
export const DEFAULT_PIPELINE_STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'presentationscheduled', 'decisionmakerboughtin', 'contractsent', 'closedwon', 'closedlost'];

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
  readonly deals = new Map<string, FakeDeal>();
  readonly timeline = new Map<string, FakeTimelineEvent>();
  /** Set to simulate the account's daily allocation being used up. */
  dailyExhausted = false;
  private window: number[] = [];
  private counter = 100;
  private injected: Array<{ answer: { status: number; body?: unknown; headers?: Record<string, string> }; match?: (req: ReceivedRequest) => boolean }> = [];

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

  /** The next request (matching `match`, if given) gets `answer` instead. */
  injectOnce(answer: { status: number; body?: unknown; headers?: Record<string, string> }, match?: (req: ReceivedRequest) => boolean): void {
    this.injected.push({ answer, match });
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
    const index = this.injected.findIndex((i) => !i.match || i.match(req));
    if (index >= 0) {
      const [{ answer }] = this.injected.splice(index, 1);
      return { ...answer, headers: { ...headers, ...answer.headers } };
    }
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

  private get pipelines(): Record<string, string[]> {
    return this.options.pipelines ?? { default: DEFAULT_PIPELINE_STAGES };
  }

  private route(req: ReceivedRequest): Reply {
    const [path, query] = req.url.split('?');
    if (req.method === 'POST' && path === '/integrators/timeline/v3/events') return this.timelineEvent(req.json());
    if (req.method === 'GET' && /^\/crm\/(?:pipelines\/\d{4}-\d{2}|v3\/pipelines)\/deals$/.test(path)) return this.listPipelines();
    const deal = /^\/crm\/(?:objects\/\d{4}-\d{2}|v3\/objects)\/deals(?:\/(search|\d+))?$/.exec(path);
    if (deal) return this.routeDeal(req, deal[1], query);
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

  private invalid(name: string, message: string, error = 'INVALID_OPTION'): Reply {
    return {
      status: 400,
      body: {
        status: 'error',
        message: `Property values were not valid: ${JSON.stringify([{ isValid: false, message, error, name }])}`,
        correlationId: 'c0ffee00-0000-4000-8000-000000000004',
        category: 'VALIDATION_ERROR',
      },
    };
  }

  private notFound(what: string): Reply {
    return { status: 404, body: { status: 'error', message: `${what} not found`, category: 'OBJECT_NOT_FOUND' } };
  }

  /** The pipeline and stage a deal would have, checked as HubSpot checks them. */
  private stageProblem(pipeline: string | undefined, stage: string | undefined): Reply | undefined {
    if (!pipeline || !this.pipelines[pipeline]) return this.invalid('pipeline', `${pipeline} is not a valid pipeline ID`);
    if (!stage || !this.pipelines[pipeline].includes(stage)) {
      return this.invalid('dealstage', `${stage} is not a valid pipeline stage ID in pipeline ${pipeline}`);
    }
    return undefined;
  }

  private listPipelines(): Reply {
    return {
      status: 200,
      body: {
        results: Object.entries(this.pipelines).map(([id, stages], i) => ({
          id,
          label: id === 'default' ? 'Sales Pipeline' : id,
          displayOrder: i,
          archived: false,
          stages: stages.map((stage, order) => ({ id: stage, label: stage, displayOrder: order, archived: false, metadata: { isClosed: String(stage.startsWith('closed')) } })),
        })),
      },
    };
  }

  private dealView(deal: FakeDeal, properties: string[]): Record<string, unknown> {
    const picked = Object.fromEntries(properties.filter((p) => p in deal.properties).map((p) => [p, deal.properties[p]]));
    return { id: deal.id, properties: { hs_object_id: deal.id, ...picked }, archived: false };
  }

  private routeDeal(req: ReceivedRequest, rest: string | undefined, query: string | undefined): Reply {
    if (rest === 'search' && req.method === 'POST') return this.searchDeals(req.json());
    if (!rest && req.method === 'POST') return this.createDeal(req.json());
    const deal = rest ? this.deals.get(rest) : undefined;
    if (rest && req.method === 'GET') {
      if (!deal) return this.notFound(`Deal ${rest}`);
      const properties = new URLSearchParams(query).get('properties')?.split(',') ?? ['dealname', 'amount', 'dealstage', 'pipeline'];
      return { status: 200, body: this.dealView(deal, properties) };
    }
    if (rest && req.method === 'PATCH') {
      if (!deal) return this.notFound(`Deal ${rest}`);
      const { properties } = req.json<{ properties: Record<string, string> }>();
      const problem = this.stageProblem(properties.pipeline ?? deal.properties.pipeline, properties.dealstage ?? deal.properties.dealstage);
      if (problem) return problem;
      Object.assign(deal.properties, properties);
      return { status: 200, body: this.dealView(deal, Object.keys(deal.properties)) };
    }
    return { status: 405, body: { status: 'error', message: 'method not allowed' } };
  }

  private createDeal(body: {
    properties?: Record<string, string>;
    associations?: Array<{ to: { id: string }; types: Array<{ associationCategory: string; associationTypeId: number }> }>;
  }): Reply {
    const properties = body.properties ?? {};
    if (!properties.dealname) return this.invalid('dealname', 'dealname is required', 'REQUIRED');
    const problem = this.stageProblem(properties.pipeline, properties.dealstage);
    if (problem) return problem;
    if (properties.amount !== undefined && !Number.isFinite(Number(properties.amount))) return this.invalid('amount', `${properties.amount} is not a valid number`, 'INVALID_FLOAT');
    const associations = body.associations ?? [];
    for (const a of associations) {
      const type = a.types[0];
      if (a.types.length !== 1 || type.associationCategory !== 'HUBSPOT_DEFINED' || type.associationTypeId !== 3) {
        return { status: 400, body: { status: 'error', message: `association type ${type?.associationCategory}/${type?.associationTypeId} is not valid between deal and contact`, category: 'VALIDATION_ERROR' } };
      }
      if (!this.contacts.has(a.to.id)) {
        return { status: 400, body: { status: 'error', message: `One or more associations are invalid: contact ${a.to.id} was not found`, category: 'VALIDATION_ERROR' } };
      }
    }
    const id = String((this.counter += 1));
    this.deals.set(id, { id, properties: { ...properties }, contactIds: associations.map((a) => a.to.id), associationTypeIds: associations.map((a) => a.types[0].associationTypeId), createdAt: this.counter });
    return { status: 201, body: this.dealView(this.deals.get(id)!, Object.keys(properties)) };
  }

  private searchDeals(body: {
    filterGroups?: Array<{ filters: Array<{ propertyName: string; operator: string; value: string }> }>;
    sorts?: Array<{ propertyName: string; direction: string }>;
    properties?: string[];
    limit?: number;
  }): Reply {
    const filters = body.filterGroups?.flatMap((g) => g.filters) ?? [];
    for (const f of filters) {
      if (f.operator !== 'EQ') return { status: 400, body: { status: 'error', message: `the fake only filters with EQ, not ${f.operator}`, category: 'VALIDATION_ERROR' } };
    }
    const matches = [...this.deals.values()]
      .filter((d) => filters.every((f) => (f.propertyName === 'associations.contact' ? d.contactIds.includes(f.value) : d.properties[f.propertyName] === f.value)))
      .sort((a, b) => (body.sorts?.[0]?.direction === 'DESCENDING' ? b.createdAt - a.createdAt : a.createdAt - b.createdAt));
    const results = matches.slice(0, body.limit ?? 10).map((d) => this.dealView(d, body.properties ?? ['dealname']));
    return { status: 200, body: { total: matches.length, results } };
  }

  private timelineEvent(body: { eventTemplateId?: string; id?: string; email?: string; objectId?: string; timestamp?: string; tokens?: Record<string, string | number> }): Reply {
    const declared = body.eventTemplateId ? this.options.timelineTemplates?.[body.eventTemplateId] : undefined;
    if (!declared) return { status: 404, body: { status: 'error', message: `Event template ${body.eventTemplateId} not found`, category: 'OBJECT_NOT_FOUND' } };
    if (!body.email && !body.objectId) return { status: 400, body: { status: 'error', message: 'One of email, objectId or utk is required', category: 'VALIDATION_ERROR' } };
    const unknown = Object.keys(body.tokens ?? {}).filter((t) => !declared.includes(t));
    if (unknown.length) {
      return { status: 400, body: { status: 'error', message: `Token ${unknown[0]} is not defined on event template ${body.eventTemplateId}`, category: 'VALIDATION_ERROR' } };
    }
    const id = body.id ?? `generated-${(this.counter += 1)}`;
    if (this.timeline.has(id)) {
      return { status: 409, body: { status: 'error', message: `Event with ID ${id} already exists for template ${body.eventTemplateId}`, category: 'CONFLICT' } };
    }
    const event: FakeTimelineEvent = { id, eventTemplateId: body.eventTemplateId!, email: body.email, objectId: body.objectId, timestamp: body.timestamp, tokens: body.tokens ?? {} };
    this.timeline.set(id, event);
    return { status: 200, body: { objectType: 'contacts', ...event, objectId: body.objectId ?? '0' } };
  }
}
