import { createPublicKey, randomBytes, verify, type KeyObject } from 'node:crypto';
import { startReceiver, type Receiver, type ReceivedRequest, type Reply } from '../../helpers/receiver.js';

/** A local Salesforce org: OAuth token endpoint, sObjects (Lead, Task), SOQL on Lead.Email, Composite. */
export interface FakeSalesforceOptions {
  clientId: string;
  clientSecret?: string;
  /** JWT bearer: the certificate's public key and the pre-authorized user. */
  publicKey?: string | KeyObject;
  username?: string;
  /** Daily API allocation reported in Sforce-Limit-Info. */
  allocation?: number;
}

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

  private resource(method: string, path: string, query: string | undefined, body: unknown): Answer {
    if (method === 'POST' && path === '/composite') return this.composite(body as { allOrNone?: boolean; compositeRequest: CompositeSub[] });
    if (method === 'GET' && path === '/query') return this.query(new URLSearchParams(query).get('q') ?? '');
    const sobject = /^\/sobjects\/(Lead|Task)\/?(\w+)?$/.exec(path);
    if (!sobject) return { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] };
    const [, type, id] = sobject;
    const fields = (body ?? {}) as Record<string, string>;
    if (method === 'POST' && !id) return type === 'Lead' ? this.createLead(fields) : this.createTask(fields);
    if (method === 'PATCH' && id && type === 'Lead') {
      const lead = this.leads.get(id);
      if (!lead) return { status: 404, body: [{ errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' }] };
      if (lead.IsConverted === 'true') {
        return { status: 400, body: [{ errorCode: 'CANNOT_UPDATE_CONVERTED_LEAD', message: 'cannot reference converted lead', fields: [] }] };
      }
      Object.assign(lead, fields);
      return { status: 204 };
    }
    return { status: 405, body: [{ errorCode: 'METHOD_NOT_ALLOWED', message: `HTTP Method '${method}' not allowed` }] };
  }

  private createLead(fields: Record<string, string>): Answer {
    const missing = ['LastName', 'Company'].filter((f) => !fields[f]);
    if (missing.length > 0) {
      return { status: 400, body: [{ message: `Required fields are missing: [${missing.join(', ')}]`, errorCode: 'REQUIRED_FIELD_MISSING', fields: missing }] };
    }
    const Id = this.id('00Q');
    this.leads.set(Id, { ...fields, Id });
    return { status: 201, body: { id: Id, success: true, errors: [] } };
  }

  private createTask(fields: Record<string, string>): Answer {
    if (!fields.WhoId || !this.leads.has(fields.WhoId)) {
      return { status: 400, body: [{ message: 'invalid cross reference id', errorCode: 'INVALID_CROSS_REFERENCE_KEY', fields: ['WhoId'] }] };
    }
    if (!fields.Subject) return { status: 400, body: [{ message: 'Required fields are missing: [Subject]', errorCode: 'REQUIRED_FIELD_MISSING', fields: ['Subject'] }] };
    const Id = this.id('00T');
    this.tasks.set(Id, { ...fields, Id });
    return { status: 201, body: { id: Id, success: true, errors: [] } };
  }

  private query(soql: string): Answer {
    const email = /Email = '((?:[^'\\]|\\.)*)'/.exec(soql)?.[1]?.replace(/\\(.)/g, '$1');
    if (!/^SELECT Id FROM Lead WHERE /.test(soql) || email === undefined) {
      return { status: 400, body: [{ message: 'unexpected query in the fake', errorCode: 'MALFORMED_QUERY' }] };
    }
    const records = [...this.leads.values()]
      .filter((l) => l.Email?.toLowerCase() === email.toLowerCase() && (!/IsConverted = false/.test(soql) || l.IsConverted !== 'true'))
      .slice(0, 1)
      .map((l) => ({ attributes: { type: 'Lead', url: `/services/data/v66.0/sobjects/Lead/${l.Id}` }, Id: l.Id }));
    return { status: 200, body: { totalSize: records.length, done: true, records } };
  }

  private composite(request: { allOrNone?: boolean; compositeRequest: CompositeSub[] }): Answer {
    const snapshot = { leads: new Map(this.leads), tasks: new Map(this.tasks) };
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
      this.leads.clear();
      snapshot.leads.forEach((v, k) => this.leads.set(k, v));
      this.tasks.clear();
      snapshot.tasks.forEach((v, k) => this.tasks.set(k, v));
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
