import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { classifyResponse, isRetryableStatus } from '../core/classify.js';
import { scrubbed } from '../crm/scrub.js';
import { AuthError, PermanentError } from '../core/errors.js';
import type { Destination, Http } from '../core/types.js';
import { SessionExpiredError } from './errors.js';
import type { SalesforceSettings } from './settings.js';

export interface SalesforceSession {
  accessToken: string;
  /** Where the org's API lives, from the token answer. */
  instanceUrl: string;
  /** The identity URL (…/id/<org>/<user>). */
  identity?: string;
}

interface TokenAnswer {
  access_token?: string;
  instance_url?: string;
  id?: string;
  error?: string;
  error_description?: string;
}

// Salesforce tokens carry no expiry: one is kept per destination until a call answers 401.
const sessions = new Map<string, Promise<SalesforceSession>>();

function cacheKey(dest: Destination<SalesforceSettings>): string {
  const s = dest.settings;
  const credentials = [s.loginUrl, s.clientId, s.clientSecret, s.username, s.privateKeyPath, s.privateKey];
  return `${dest.name}:${createHash('sha256').update(JSON.stringify(credentials)).digest('hex')}`;
}

export function forgetSalesforceSessions(): void {
  sessions.clear();
}

/** The JWT audience: login or test, whatever My Domain the token goes to; else the site itself. */
export function jwtAudience(loginUrl: string): string {
  const host = new URL(loginUrl).hostname.toLowerCase();
  if (host === 'test.salesforce.com' || host.endsWith('.sandbox.my.salesforce.com')) return 'https://test.salesforce.com';
  if (host.endsWith('.salesforce.com')) return 'https://login.salesforce.com';
  return loginUrl;
}

async function privateKeyOf(s: SalesforceSettings): Promise<KeyObject> {
  let pem = s.privateKey;
  if (!pem && s.privateKeyPath) {
    try {
      pem = await readFile(s.privateKeyPath, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new AuthError(`cannot read privateKeyPath ${s.privateKeyPath} (${code}): point it at the PEM private key of the app's certificate`);
    }
  }
  try {
    // Keys pasted into an environment variable often arrive with literal "\n".
    return createPrivateKey((pem ?? '').replace(/\\n/g, '\n'));
  } catch {
    const where = s.privateKeyPath ? `the file ${s.privateKeyPath}` : 'privateKey';
    throw new AuthError(`${where} is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----")`);
  }
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An RS256 assertion for the JWT bearer flow, valid for three minutes (Salesforce's maximum). */
export async function jwtAssertion(s: SalesforceSettings, now: Date): Promise<string> {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({ iss: s.clientId, sub: s.username, aud: jwtAudience(s.loginUrl), exp: Math.floor(now.getTime() / 1000) + 180 }),
  );
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), await privateKeyOf(s));
  return `${header}.${claims}.${base64url(signature)}`;
}

function fixFor(answer: TokenAnswer, s: SalesforceSettings): string {
  const description = answer.error_description ?? '';
  if (answer.error === 'invalid_client_id') return 'clientId is not a consumer key Salesforce knows: copy it from the app';
  if (/not supported on this domain/i.test(description)) {
    return 'the client credentials flow needs your My Domain as loginUrl (https://<domain>.my.salesforce.com)';
  }
  if (/no client credentials user/i.test(description)) return "enable the Client Credentials Flow and set a Run-As user in the app's policies";
  if (/hasn't approved|not approved|not admin approved/i.test(description)) {
    return `pre-authorize ${s.username ?? 'the user'}: set the app's Permitted Users to admin-approved and add the user's profile or a permission set`;
  }
  if (answer.error === 'invalid_client' || /client credentials|client secret/i.test(description)) {
    return s.clientSecret ? 'check clientId and clientSecret (the app\'s consumer key and secret)' : 'check clientId (the consumer key)';
  }
  if (/audience/i.test(description)) return 'check loginUrl: the JWT audience must be login.salesforce.com, test.salesforce.com or your site';
  if (/signature|invalid assertion/i.test(description)) {
    return "check that the private key matches the certificate uploaded to the app (\"Use digital signatures\")";
  }
  if (/user/i.test(description)) return 'check username (the Salesforce user to act as)';
  if (answer.error === 'unsupported_grant_type') return 'enable this OAuth flow in the app\'s settings';
  return 'check the app\'s OAuth settings and these credentials';
}

async function mintSession(dest: Destination<SalesforceSettings>, http: Http, now: Date): Promise<SalesforceSession> {
  const s = dest.settings;
  const form = new URLSearchParams();
  if (s.clientSecret) {
    http.addSecret(s.clientSecret);
    form.set('grant_type', 'client_credentials');
    form.set('client_id', s.clientId);
    form.set('client_secret', s.clientSecret);
  } else {
    if (s.privateKey) http.addSecret(s.privateKey);
    const assertion = await jwtAssertion(s, now);
    // The assertion is a bearer credential for its three minutes.
    http.addSecret(assertion);
    form.set('grant_type', 'urn:ietf:params:oauth:grant-type:jwt-bearer');
    form.set('assertion', assertion);
  }
  const res = await http.request({
    method: 'POST',
    url: `${s.loginUrl}/services/oauth2/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    acceptStatus: () => true,
    dryRunResponse: {
      status: 200,
      body: { access_token: 'dry-run-access-token', instance_url: s.loginUrl, token_type: 'Bearer', id: `${s.loginUrl}/id/dry-run` },
    },
  });
  let answer: TokenAnswer = {};
  try {
    answer = res.json<TokenAnswer>();
  } catch {
    // Judged by status below.
  }
  if (res.status >= 200 && res.status < 300) {
    if (!answer.access_token || !answer.instance_url) {
      throw new PermanentError(`${s.loginUrl}/services/oauth2/token answered without access_token/instance_url: is loginUrl a Salesforce login host?`);
    }
    http.addSecret(answer.access_token);
    return { accessToken: answer.access_token, instanceUrl: answer.instance_url.replace(/\/+$/, ''), identity: answer.id };
  }
  if (answer.error && res.status >= 400 && res.status < 500 && !isRetryableStatus(res.status)) {
    const said = answer.error_description ? `${answer.error}: ${answer.error_description}` : answer.error;
    throw new AuthError(`Salesforce refused the credentials (${said}): ${fixFor(answer, s)}`, res.status);
  }
  if (res.status === 404) {
    throw new PermanentError(`${s.loginUrl} has no /services/oauth2/token (HTTP 404): set loginUrl to your My Domain or login host`, 404);
  }
  throw classifyResponse(res);
}

/**
 * Runs `work` with a session, minting one when none is cached; a 401 renews it once, and a
 * second 401 is an AuthError (the credentials work but the session does not: IP or policy).
 */
export async function withSalesforceSession<T>(
  dest: Destination<SalesforceSettings>,
  http: Http,
  now: Date,
  work: (session: SalesforceSession) => Promise<T>,
): Promise<T> {
  const key = cacheKey(dest);
  for (let round = 0; ; round++) {
    let pending = http.dryRun ? undefined : sessions.get(key);
    if (!pending) {
      pending = mintSession(dest, http, now);
      // A dry run's invented token must not replace a real one.
      if (!http.dryRun) {
        sessions.set(key, pending);
        pending.catch(() => sessions.get(key) === pending && sessions.delete(key));
      }
    }
    const secrets = [dest.settings.clientSecret, dest.settings.privateKey];
    const session = await pending.catch((err: unknown) => {
      throw scrubbed(err, secrets);
    });
    http.addSecret(session.accessToken);
    try {
      return await work(session);
    } catch (err) {
      if (!(err instanceof SessionExpiredError)) throw scrubbed(err, [...secrets, session.accessToken]);
      if (sessions.get(key) === pending) sessions.delete(key);
      if (round > 0) {
        throw new AuthError(
          `${err.message}, even with a fresh token: check the app's session policies and IP relaxation for the integration user`,
          401,
        );
      }
    }
  }
}
