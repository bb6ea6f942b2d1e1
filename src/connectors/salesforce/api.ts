import type { Call, ConnectorRequest } from '../core/index.js';
import type { SalesforceSession } from './auth.js';
import type { SalesforceSettings } from './settings.js';

export type SalesforceCall = Call<SalesforceSettings, SalesforceSession>;

export interface SaveResult {
  id?: string;
  success?: boolean;
}

export interface CompositeSubrequest {
  method: 'GET' | 'POST' | 'PATCH';
  /** Relative to /services/data/<version>. */
  path: string;
  referenceId: string;
  body?: unknown;
}

const dataPath = (call: SalesforceCall) => `/services/data/${call.settings.apiVersion}`;

/** A REST call on the org's instance (named by the session), authorized and classified by the definition. */
export async function api<T>(
  call: SalesforceCall,
  request: Omit<ConnectorRequest, 'url'> & { path: string; action: string },
): Promise<T> {
  const { instanceUrl } = await call.session();
  const { path, ...rest } = request;
  return call.sendJson<T>({ ...rest, url: `${instanceUrl}${dataPath(call)}${path}` });
}

/** The API versions the org offers (`GET /services/data/`), e.g. ["v65.0", "v66.0"]. */
export async function apiVersions(call: SalesforceCall): Promise<string[]> {
  const { instanceUrl } = await call.session();
  const list = await call.sendJson<Array<{ version?: string }>>({ method: 'GET', url: `${instanceUrl}/services/data/`, action: 'the version list' });
  return Array.isArray(list) ? list.map((v) => `v${v.version}`) : [];
}

/** The ids of a SOQL query's rows. */
export async function queryIds(call: SalesforceCall, soql: string, action: string): Promise<string[]> {
  const answer = await api<{ records?: Array<{ Id?: string }> }>(call, { method: 'GET', path: `/query?q=${encodeURIComponent(soql)}`, action });
  return (answer.records ?? []).map((r) => r.Id).filter((id): id is string => typeof id === 'string');
}

/**
 * Several dependent writes in one API call (`@{ref.id}` links them), all or none. Answers each
 * subrequest's body by referenceId; a failed subrequest is thrown by the definition's classify.
 */
export async function composite(call: SalesforceCall, subrequests: CompositeSubrequest[], action: string): Promise<Map<string, SaveResult | undefined>> {
  const answer = await api<{ compositeResponse?: Array<{ body: unknown; referenceId: string }> }>(call, {
    method: 'POST',
    path: '/composite',
    action,
    json: {
      allOrNone: true,
      compositeRequest: subrequests.map((r) => ({
        method: r.method,
        url: `${dataPath(call)}${r.path}`,
        referenceId: r.referenceId,
        ...(r.body === undefined ? {} : { body: r.body }),
      })),
    },
  });
  return new Map((answer.compositeResponse ?? []).map((r) => [r.referenceId, r.body as SaveResult | undefined]));
}
