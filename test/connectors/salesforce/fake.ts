import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../../helpers/receiver.js';

/**
 * A local Salesforce org: OAuth token endpoint, sObjects (Lead, Task, Contact, Account, Opportunity,
 * OpportunityContactRole) with their required fields and references, a restricted Stage picklist,
 * Lead conversion, simple SOQL (`SELECT … FROM … WHERE a = 'x' AND b = false … LIMIT n`), Composite.
 */
export interface FakeSalesforceOptions {
  clientId: string;
  clientSecret?: string;
  /** JWT bearer: the certificate's public key and the pre-authorized user. */
  publicKey?: string | KeyObject;
  username?: string;
  /** Daily API allocation reported in Sforce-Limit-Info. */
  allocation?: number;
  /** The org's active opportunity stages (the restricted StageName picklist), in order. */
  stages?: string[];
}

export const DEFAULT_STAGES = ['Prospecting', 'Qualification', 'Needs Analysis', 'Value Proposition', 'Proposal/Price Quote', 'Negotiation/Review', 'Closed Won', 'Closed Lost'];
const SOBJECTS = ['Lead', 'Task', 'Contact', 'Account', 'Opportunity', 'OpportunityContactRole'] as const;
type SObject = (typeof SOBJECTS)[number];
const PREFIX: Record<SObject, string> = { Lead: '00Q', Task: '00T', Contact: '003', Account: '001', Opportunity: '006', OpportunityContactRole: '00K' };

export interface FakeRecord {
  Id: string;
  [field: string]: string;
}

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };

const AUDIENCES = new Set(['https://login.salesforce.com', 'https://test.salesforce.com']);
const VERSIONS = ['64.0', '65.0', '66.0', '67.0'];

export class FakeSalesforce {
  readonly leads = new Map<string, FakeRecord>();
  readonly tasks = new Map<string, FakeRecord>();
  readonly contacts = new Map<string, FakeRecord>();
  readonly accounts = new Map<string, FakeRecord>();
  readonly opportunities = new Map<string, FakeRecord>();
  readonly contactRoles = new Map<string, FakeRecord>();
  /** Creation order, as CreatedDate sorts. */
  private createdAt = new Map<string, number>();
  readonly issuedTokens: string[] = [];
  /** Audience the fake accepts besides login/test (the loginUrl itself, as for a site). */
  readonly acceptedAudiences = new Set(AUDIENCES);
  apiCalls = 0;
  private validTokens = new Set<string>();
  private injected: Array<{ match: (req: ReceivedRequest) => boolean; answer: Answer }> = [];
  private counter = 0;

  private constructor(
    readonly receiver: Receiver,
    readonly options: FakeSalesforceOptions,
  ) {}

  static async start(options: FakeSalesforceOptions): Promise<FakeSalesforce> {
    let fake: FakeSalesforce | undefined;
    const receiver = await startReceiver((req) => fake!.handle(req));
    fake = new FakeSalesforce(receiver, options);
    fake.acceptedAudiences.add(receiver.origin);
    return fake;
  }

  get origin(): string {
    return this.receiver.origin;
  }

  get requests(): ReceivedRequest[] {
    return this.receiver.requests;
  }

  /** Every token issued so far stops working, as when the session times out. */
  expireSessions(): void {
    this.validTokens.clear();
  }

  /** The next request matching `match` (an API call by default) gets `answer` instead. */
  injectOnce(answer: Answer, match: (req: ReceivedRequest) => boolean = (req) => req.url.startsWith('/services/data/')): void {
    this.injected.push({ match, answer });
  }

  close(): Promise<void> {
    return this.receiver.close();
  }

  private id(prefix: string): string {
    this.counter += 1;
    return `${prefix}${String(this.counter).padStart(12, '0')}AAA`;
  }

  private handle(req: ReceivedRequest): Reply {
    const injected = this.injected.findIndex((i) => i.match(req));
    if (injected >= 0) {
      const [{ answer }] = this.injected.splice(injected, 1);
      return { status: answer.status, body: answer.body, headers: { ...this.limitHeader(), ...answer.headers } };
    }
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path === '/services/oauth2/token') return this.token(req);
    if (!path.startsWith('/services/data/')) return { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] };
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !this.validTokens.has(token)) {
      return { status: 401, body: [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }] };
    }
    this.apiCalls += 1;
    const answer = this.api(req.method, req.url, req.body ? req.json() : undefined);
    return { status: answer.status, body: answer.body, headers: this.limitHeader() };
  }

  private limitHeader(): Record<string, string> {
    return { 'sforce-limit-info': `api-usage=${this.apiCalls}/${this.options.allocation ?? 15000}` };
  }

  private token(req: ReceivedRequest): Reply {
    const form = new URLSearchParams(req.body);
    const refuse = (error: string, description: string): Reply => ({ status: 400, body: { error, error_description: description } });
    if (form.get('grant_type') === 'client_credentials') {
      if (form.get('client_id') !== this.options.clientId) return refuse('invalid_client_id', 'client identifier invalid');
      if (!this.options.clientSecret || form.get('client_secret') !== this.options.clientSecret) return refuse('invalid_client', 'invalid client credentials');
    } else if (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const problem = this.jwtProblem(form.get('assertion') ?? '');
      if (problem) return refuse(...problem);
    } else {
      return refuse('unsupported_grant_type', 'grant type not supported');
    }
    const accessToken = `00D000000000001!${randomBytes(24).toString('base64url')}`;
    this.validTokens.add(accessToken);
    this.issuedTokens.push(accessToken);
    return {
      status: 200,
      body: {
        access_token: accessToken,
        signature: randomBytes(16).toString('base64'),
        instance_url: this.origin,
        id: `${this.origin}/id/00D000000000001AAA/005000000000001AAA`,
        token_type: 'Bearer',
        issued_at: String(Date.now()),
        scope: 'api',
      },
    };
  }

  private jwtProblem(assertion: string): [string, string] | undefined {
    const [header, claims, signature] = assertion.split('.');
    if (!header || !claims || !signature || !this.options.publicKey) return ['invalid_grant', 'invalid assertion'];
    const key = typeof this.options.publicKey === 'string' ? createPublicKey(this.options.publicKey) : this.options.publicKey;
    if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== 'RS256') return ['invalid_grant', 'invalid assertion'];
    if (!verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), key, Buffer.from(signature, 'base64url'))) {
      return ['invalid_grant', 'invalid assertion: signature does not verify'];
    }
    const c = JSON.parse(Buffer.from(claims, 'base64url').toString()) as Record<string, unknown>;
    if (c.iss !== this.options.clientId) return ['invalid_client_id', 'client identifier invalid'];
    if (!this.acceptedAudiences.has(String(c.aud))) return ['invalid_grant', 'audience is invalid'];
    const now = Date.now() / 1000;
    if (typeof c.exp !== 'number' || c.exp < now || c.exp > now + 300) return ['invalid_grant', 'expired authorization code'];
    if (c.sub !== this.options.username) return ['invalid_grant', "user hasn't approved this consumer"];
    return undefined;
  }

  private api(method: string, url: string, body: unknown): Answer {
    const [path, query] = url.split('?');
    if (method === 'GET' && path === '/services/data/') {
      return { status: 200, body: VERSIONS.map((v) => ({ label: `v${v}`, url: `/services/data/v${v}`, version: v })) };
    }
    const match = /^\/services\/data\/v(\d+\.\d)(\/.*)$/.exec(path);
    if (!match || !VERSIONS.includes(match[1])) return { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] };
    return this.resource(method, match[2], query, body);
  }

  private table(type: SObject): Map<string, FakeRecord> {
    return { Lead: this.leads, Task: this.tasks, Contact: this.contacts, Account: this.accounts, Opportunity: this.opportunities, OpportunityContactRole: this.contactRoles }[type];
  }

  private get stages(): string[] {
    return this.options.stages ?? DEFAULT_STAGES;
  }

  /** Converts a Lead as a person does in Salesforce: an Account, a Contact and, if asked, an Opportunity. */
  convertLead(leadId: string, opportunity?: { Name: string; StageName: string }): { contactId: string; accountId: string; opportunityId?: string } {
    const lead = this.leads.get(leadId);
    if (!lead) throw new Error(`no Lead ${leadId}`);
    const accountId = this.insert('Account', { Name: lead.Company });
    const contactId = this.insert('Contact', { FirstName: lead.FirstName, LastName: lead.LastName, Email: lead.Email, AccountId: accountId });
    const opportunityId = opportunity ? this.insert('Opportunity', { ...opportunity, CloseDate: '2026-12-31', AccountId: accountId }) : undefined;
    if (opportunityId) this.insert('OpportunityContactRole', { OpportunityId: opportunityId, ContactId: contactId, IsPrimary: 'true' });
    Object.assign(lead, { IsConverted: 'true', ConvertedContactId: contactId, ConvertedAccountId: accountId, ...(opportunityId ? { ConvertedOpportunityId: opportunityId } : {}) });
    return { contactId, accountId, opportunityId };
  }

  /** A record someone made in the org, outside vidhook. */
  add(type: SObject, fields: Record<string, unknown>): string {
    return this.insert(type, fields);
  }

  private insert(type: SObject, fields: Record<string, unknown>): string {
    const Id = this.id(PREFIX[type]);
    const record: FakeRecord = { Id };
    for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) record[k] = String(v);
    this.createdAt.set(Id, this.createdAt.size);
    this.table(type).set(Id, record);
    return Id;
  }

  private refused(status: number, errorCode: string, message: string, fields: string[] = []): Answer {
    return { status, body: [{ message, errorCode, fields }] };
  }

  /** What Salesforce refuses before it writes: required fields, references, the restricted Stage picklist. */
  private problem(type: SObject, fields: Record<string, string>, creating: boolean): Answer | undefined {
    const required: Partial<Record<SObject, string[]>> = {
      Lead: ['LastName', 'Company'],
      Contact: ['LastName'],
      Account: ['Name'],
      Opportunity: ['Name', 'StageName', 'CloseDate'],
      OpportunityContactRole: ['OpportunityId', 'ContactId'],
      Task: ['WhoId', 'Subject'],
    };
    const missing = creating ? (required[type] ?? []).filter((f) => !fields[f]) : [];
    const references: Array<[string, SObject[]]> = [
      ['AccountId', ['Account']],
      ['ContactId', ['Contact']],
      ['OpportunityId', ['Opportunity']],
      ['WhoId', ['Lead', 'Contact']],
    ];
    for (const [field, targets] of references) {
      if (!(field in fields) || (type === 'Task' && field !== 'WhoId')) continue;
      const target = targets.map((t) => this.table(t).get(fields[field])).find(Boolean);
      if (!target) return this.refused(400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', [field]);
      if (field === 'WhoId' && target.IsConverted === 'true') return this.refused(400, 'CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead', [field]);
    }
    if (missing.length > 0) return this.refused(400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`, missing);
    if (type === 'Opportunity' && 'StageName' in fields && !this.stages.includes(fields.StageName)) {
      return this.refused(400, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `Stage: bad value for restricted picklist field: ${fields.StageName}`, ['StageName']);
    }
    if (type === 'Opportunity' && fields.CloseDate && !/^\d{4}-\d{2}-\d{2}$/.test(fields.CloseDate)) {
      return this.refused(400, 'JSON_PARSER_ERROR', `Cannot deserialize instance of date from VALUE_STRING value ${fields.CloseDate}`, ['CloseDate']);
    }
    if (type === 'OpportunityContactRole' && [...this.contactRoles.values()].some((r) => r.OpportunityId === fields.OpportunityId && r.ContactId === fields.ContactId)) {
      return this.refused(400, 'DUPLICATE_VALUE', 'duplicate value found: the contact already has a role on this opportunity', ['ContactId']);
    }
    return undefined;
  }

  private resource(method: string, path: string, query: string | undefined, body: unknown): Answer {
    if (method === 'POST' && path === '/composite') return this.composite(body as { allOrNone?: boolean; compositeRequest: CompositeSub[] });
    if (method === 'GET' && path === '/query') return this.query(new URLSearchParams(query).get('q') ?? '');
    const sobject = /^\/sobjects\/(\w+)\/?(\w+)?$/.exec(path);
    if (!sobject || !(SOBJECTS as readonly string[]).includes(sobject[1])) {
      return { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] };
    }
    const type = sobject[1] as SObject;
    const id = sobject[2];
    const fields = (body ?? {}) as Record<string, string>;
    if (method === 'POST' && !id) {
      const problem = this.problem(type, fields, true);
      if (problem) return problem;
      return { status: 201, body: { id: this.insert(type, fields), success: true, errors: [] } };
    }
    if (method === 'PATCH' && id && type !== 'Task') {
      const record = this.table(type).get(id);
      if (!record) return { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] };
      if (record.IsConverted === 'true') return this.refused(400, 'CANNOT_UPDATE_CONVERTED_LEAD', 'cannot reference converted lead');
      const problem = this.problem(type, fields, false);
      if (problem) return problem;
      Object.assign(record, fields);
      return { status: 204 };
    }
    return { status: 405, body: [{ errorCode: 'METHOD_NOT_ALLOWED', message: `HTTP Method '${method}' not allowed` }] };
  }

  /** `SELECT a, B.c FROM X WHERE f = 'v' AND g = false [ORDER BY CreatedDate ASC] [LIMIT n]`, as far as vidhook asks. */
  private query(soql: string): Answer {
    const m = /^SELECT (.+?) FROM (\w+)(?: WHERE (.+?))?(?: ORDER BY (\w+) (ASC|DESC))?(?: LIMIT (\d+))?$/.exec(soql);
    const malformed = (why: string): Answer => ({ status: 400, body: [{ message: `${why}: ${soql}`, errorCode: 'MALFORMED_QUERY' }] });
    if (!m) return malformed('unexpected query in the fake');
    const [, select, from, where, orderBy, direction, limit] = m;
    if (from === 'OpportunityStage') {
      if (select !== 'ApiName' || where !== 'IsActive = true') return malformed('unexpected OpportunityStage query in the fake');
      return { status: 200, body: { totalSize: this.stages.length, done: true, records: this.stages.map((ApiName) => ({ attributes: { type: 'OpportunityStage' }, ApiName })) } };
    }
    if (!(SOBJECTS as readonly string[]).includes(from)) return { status: 400, body: [{ message: `sObject type '${from}' is not supported.`, errorCode: 'INVALID_TYPE' }] };
    const conditions: Array<[string, string]> = [];
    for (const part of where ? where.split(' AND ') : []) {
      const c = /^(\w+) = (?:'((?:[^'\\]|\\.)*)'|(true|false))$/.exec(part.trim());
      if (!c) return malformed('unexpected condition in the fake');
      conditions.push([c[1], c[2] !== undefined ? c[2].replace(/\\(.)/g, '$1') : c[3]]);
    }
    const value = (record: FakeRecord, field: string): unknown => {
      if (field === 'IsConverted') return record.IsConverted === 'true';
      const [head, tail] = field.split('.');
      if (tail) {
        const parent = this.opportunities.get(record[`${head}Id`]) ?? this.accounts.get(record[`${head}Id`]);
        return parent ? { [tail]: parent[tail] ?? null } : null;
      }
      return record[field] ?? null;
    };
    const matches = (r: FakeRecord) =>
      conditions.every(([field, v]) => {
        const actual = value(r, field);
        if (field === 'Email') return String(actual ?? '').toLowerCase() === v.toLowerCase();
        return String(actual) === v;
      });
    let rows = [...this.table(from as SObject).values()].filter(matches);
    if (orderBy === 'CreatedDate') rows.sort((a, b) => ((this.createdAt.get(a.Id) ?? 0) - (this.createdAt.get(b.Id) ?? 0)) * (direction === 'DESC' ? -1 : 1));
    if (limit) rows = rows.slice(0, Number(limit));
    const fields = select.split(',').map((f) => f.trim());
    const records = rows.map((r) => {
      const out: Record<string, unknown> = { attributes: { type: from, url: `/services/data/v66.0/sobjects/${from}/${r.Id}` } };
      for (const f of fields) out[f.split('.')[0]] = value(r, f);
      return out;
    });
    return { status: 200, body: { totalSize: records.length, done: true, records } };
  }

  private composite(request: { allOrNone?: boolean; compositeRequest: CompositeSub[] }): Answer {
    if (request.compositeRequest.length > 25) return this.refused(400, 'LIMIT_EXCEEDED', 'Composite requests cannot have more than 25 subrequests');
    const tables = SOBJECTS.map((t) => this.table(t));
    const snapshot = tables.map((t) => new Map([...t].map(([k, v]) => [k, { ...v }])));
    const results = new Map<string, Record<string, unknown>>();
    const out: Array<{ body: unknown; httpHeaders: Record<string, string>; httpStatusCode: number; referenceId: string }> = [];
    let failed = false;
    for (const sub of request.compositeRequest) {
      if (failed) {
        out.push({ body: [{ errorCode: 'PROCESSING_HALTED', message: 'The transaction was rolled back since another operation in the same transaction failed.' }], httpHeaders: {}, httpStatusCode: 400, referenceId: sub.referenceId });
        continue;
      }
      const resolved = JSON.parse(
        JSON.stringify(sub.body ?? {}).replace(/@\{(\w+)\.(\w+)\}/g, (_, ref: string, field: string) => String(results.get(ref)?.[field] ?? '')),
      );
      const [path, query] = sub.url.replace(/^\/services\/data\/v\d+\.\d/, '').split('?');
      const answer = this.resource(sub.method, path, query, resolved);
      out.push({ body: answer.body ?? null, httpHeaders: {}, httpStatusCode: answer.status, referenceId: sub.referenceId });
      if (answer.status >= 300) failed = request.allOrNone === true;
      else if (answer.body && typeof answer.body === 'object') results.set(sub.referenceId, answer.body as Record<string, unknown>);
    }
    if (failed) {
      tables.forEach((t, i) => {
        t.clear();
        snapshot[i].forEach((v, k) => t.set(k, v));
      });
      // Earlier successes are rolled back too.
      for (const r of out) if (r.httpStatusCode < 300) Object.assign(r, { httpStatusCode: 400, body: [{ errorCode: 'PROCESSING_HALTED', message: 'rolled back' }] });
    }
    return { status: 200, body: { compositeResponse: out } };
  }
}

interface CompositeSub {
  method: string;
  url: string;
  referenceId: string;
  body?: unknown;
}
