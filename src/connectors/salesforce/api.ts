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
export async function composite(
  call: SalesforceCall,
  subrequests: CompositeSubrequest[],
  action: string,
  allOrNone = true,
): Promise<Map<string, SaveResult | undefined>> {
  const answer = await api<{ compositeResponse?: Array<{ body: unknown; referenceId: string }> }>(call, {
    method: 'POST',
    path: '/composite',
    action,
    json: {
      allOrNone,
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

/**
 * The rows of several SOQL queries in one API call (a Composite of GETs), by referenceId; a
 * single query is sent as it is.
 */
export async function queries<R>(call: SalesforceCall, soql: Record<string, string>, action: string): Promise<Map<string, R[]>> {
  const entries = Object.entries(soql);
  const rows = new Map<string, R[]>();
  if (entries.length === 1) {
    const [[ref, q]] = entries;
    const answer = await api<{ records?: R[] }>(call, { method: 'GET', path: `/query?q=${encodeURIComponent(q)}`, action });
    rows.set(ref, answer.records ?? []);
  } else if (entries.length > 1) {
    const bodies = await composite(
      call,
      entries.map(([ref, q]) => ({ method: 'GET', path: `/query?q=${encodeURIComponent(q)}`, referenceId: ref })),
      action,
      false,
    );
    for (const [ref] of entries) rows.set(ref, ((bodies.get(ref) as { records?: R[] } | undefined)?.records ?? []) as R[]);
  }
  return rows;
}

/** Writes that depend on each other: one request when there is one, else one Composite call, all or none. */
export async function writeAll(call: SalesforceCall, subrequests: CompositeSubrequest[], action: string): Promise<Map<string, SaveResult | undefined>> {
  if (subrequests.length === 0) return new Map();
  if (subrequests.length > 1) return composite(call, subrequests, action);
  const [only] = subrequests;
  const result = await api<SaveResult>(call, { method: only.method, path: only.path, action, json: only.body });
  return new Map([[only.referenceId, result]]);
}
