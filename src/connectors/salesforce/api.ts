import type { Http, HttpRequest } from '../core/types.js';
import type { SalesforceSession } from './auth.js';
import { apiErrors, errorCode, salesforceFailure } from './errors.js';

export interface SaveResult {
  id: string;
  success?: boolean;
}

export interface CompositeSubrequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Relative to /services/data/<version>. */
  path: string;
  referenceId: string;
  body?: unknown;
}

interface CompositeAnswer {
  compositeResponse?: Array<{ body: unknown; httpStatusCode: number; referenceId: string; httpHeaders?: Record<string, string> }>;
}

/** REST calls on the org's instance, classified with Salesforce's own error bodies. */
export class SalesforceApi {
  constructor(
    private readonly http: Http,
    private readonly session: SalesforceSession,
    private readonly version: string,
  ) {}

  get dataPath(): string {
    return `/services/data/${this.version}`;
  }

  async call<T>(
    method: HttpRequest['method'],
    path: string,
    action: string,
    options: { json?: unknown; dryRun?: { status: number; body: unknown } } = {},
  ): Promise<T | undefined> {
    const res = await this.http.request({
      method,
      url: `${this.session.instanceUrl}${this.dataPath}${path}`,
      headers: { authorization: `Bearer ${this.session.accessToken}`, accept: 'application/json' },
      json: options.json,
      acceptStatus: () => true,
      dryRunResponse: options.dryRun ?? { status: 200, body: {} },
    });
    let body: unknown;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = undefined;
    }
    if (res.status >= 200 && res.status < 300) return body as T | undefined;
    throw salesforceFailure(res.status, body, res.body, res.headers, action);
  }

  /** The API versions the org offers (`GET /services/data/`), e.g. ["v65.0", "v66.0"]. */
  async versions(): Promise<string[]> {
    const res = await this.http.request({
      method: 'GET',
      url: `${this.session.instanceUrl}/services/data/`,
      headers: { authorization: `Bearer ${this.session.accessToken}`, accept: 'application/json' },
      acceptStatus: () => true,
      dryRunResponse: { status: 200, body: [{ version: this.version.slice(1), url: this.dataPath }] },
    });
    if (res.status < 200 || res.status >= 300) throw salesforceFailure(res.status, undefined, res.body, res.headers, 'the version list');
    const list = res.json<Array<{ version?: string }>>();
    return Array.isArray(list) ? list.map((v) => `v${v.version}`) : [];
  }

  /** The ids of a SOQL query's rows. */
  async queryIds(soql: string, action: string): Promise<string[]> {
    const answer = await this.call<{ records?: Array<{ Id?: string }> }>('GET', `/query?q=${encodeURIComponent(soql)}`, action, {
      dryRun: { status: 200, body: { totalSize: 0, done: true, records: [] } },
    });
    return (answer?.records ?? []).map((r) => r.Id).filter((id): id is string => typeof id === 'string');
  }

  /**
   * Several dependent writes in one API call (`@{ref.id}` links them), all or none. Answers each
   * subrequest's body by referenceId, or throws the first real failure.
   */
  async composite(subrequests: CompositeSubrequest[], action: string): Promise<Map<string, unknown>> {
    const answer = await this.call<CompositeAnswer>('POST', '/composite', action, {
      json: {
        allOrNone: true,
        compositeRequest: subrequests.map((r) => ({
          method: r.method,
          url: `${this.dataPath}${r.path}`,
          referenceId: r.referenceId,
          ...(r.body === undefined ? {} : { body: r.body }),
        })),
      },
      dryRun: {
        status: 200,
        body: {
          compositeResponse: subrequests.map((r, i) => ({
            body: { id: `dry-run-${r.referenceId}-${i}`, success: true, errors: [] },
            httpStatusCode: 201,
            referenceId: r.referenceId,
          })),
        },
      },
    });
    const responses = answer?.compositeResponse ?? [];
    const failed = responses.filter((r) => r.httpStatusCode >= 300);
    // With allOrNone the others report PROCESSING_HALTED; the cause is the one that does not.
    const cause = failed.find((r) => !apiErrors(r.body).some((e) => errorCode(e) === 'PROCESSING_HALTED')) ?? failed[0];
    if (cause) {
      throw salesforceFailure(cause.httpStatusCode, cause.body, JSON.stringify(cause.body), cause.httpHeaders ?? {}, `${action} (${cause.referenceId})`);
    }
    return new Map(responses.map((r) => [r.referenceId, r.body]));
  }
}
