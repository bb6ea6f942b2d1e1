import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { AuthError, isRetryableStatus, PermanentError, type Call, type Classification, type HttpResponse, type Session } from '../core/index.js';
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

export const tokenUrl = (s: SalesforceSettings) => `${s.loginUrl}/services/oauth2/token`;

/** The JWT audience: login or test, whatever My Domain the token goes to; else the site itself. */
export function jwtAudience(loginUrl: string): string {
  const host = new URL(loginUrl).hostname.toLowerCase();
  if (host === 'test.salesforce.com' || host.endsWith('.sandbox.my.salesforce.com')) return 'https://test.salesforce.com';
  if (host.endsWith('.salesforce.com')) return 'https://login.salesforce.com';
  return loginUrl;
}

/** Keys pasted into an environment variable often arrive with literal "\n". */
export const pemOf = (text: string) => text.replace(/\\n/g, '\n');

async function privateKeyOf(s: SalesforceSettings, call: Call<SalesforceSettings, SalesforceSession>): Promise<KeyObject> {
  let pem = s.privateKey;
  if (!pem && s.privateKeyPath) {
    try {
      pem = await readFile(s.privateKeyPath, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new AuthError(`cannot read privateKeyPath ${s.privateKeyPath} (${code}): point it at the PEM private key of the app's certificate`);
    }
    call.addSecret(pem.trim());
  }
  try {
    return createPrivateKey(pemOf(pem ?? ''));
  } catch {
    const where = s.privateKeyPath ? `the file ${s.privateKeyPath}` : 'privateKey';
    throw new AuthError(`${where} is not a PEM private key (expected "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----")`);
  }
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/** An RS256 assertion for the JWT bearer flow, valid for three minutes (Salesforce's maximum). */
async function jwtAssertion(s: SalesforceSettings, call: Call<SalesforceSettings, SalesforceSession>): Promise<string> {
  const header = base64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const claims = base64url(
    JSON.stringify({ iss: s.clientId, sub: s.username, aud: jwtAudience(s.loginUrl), exp: Math.floor(call.now().getTime() / 1000) + 180 }),
  );
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${claims}`), await privateKeyOf(s, call));
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

/** What the token endpoint's answer means: OAuth errors are configuration to fix, never retried. */
export function tokenFailure(res: HttpResponse, s: SalesforceSettings): Classification {
  if (res.status >= 200 && res.status < 300) return 'ok';
  let answer: TokenAnswer = {};
  try {
    answer = res.json<TokenAnswer>() ?? {};
  } catch {
    // Judged by status alone.
  }
  if (answer.error && res.status >= 400 && res.status < 500 && !isRetryableStatus(res.status)) {
    const said = answer.error_description ? `${answer.error}: ${answer.error_description}` : answer.error;
    return new AuthError(`Salesforce refused the credentials (${said}): ${fixFor(answer, s)}`, res.status);
  }
  if (res.status === 404) {
    return new PermanentError(`${s.loginUrl} has no /services/oauth2/token (HTTP 404): set loginUrl to your My Domain or login host`, 404);
  }
  return undefined;
}

/**
 * A token by client credentials (clientSecret) or JWT bearer (username and key). Salesforce gives
 * no lifetime: the session is kept until a call answers 401, and the engine then mints anew.
 */
export async function mintSession(call: Call<SalesforceSettings, SalesforceSession>): Promise<Session<SalesforceSession>> {
  const s = call.settings;
  const form = new URLSearchParams();
  if (s.clientSecret) {
    form.set('grant_type', 'client_credentials');
    form.set('client_id', s.clientId);
    form.set('client_secret', s.clientSecret);
  } else {
    const assertion = await jwtAssertion(s, call);
    // The assertion is a bearer credential for its three minutes.
    call.addSecret(assertion);
    form.set('grant_type', 'urn:ietf:params:oauth:grant-type:jwt-bearer');
    form.set('assertion', assertion);
  }
  const res = await call.send({
    method: 'POST',
    url: tokenUrl(s),
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: form.toString(),
    action: 'the token request',
    authorize: false,
    dryRunResponse: {
      status: 200,
      body: { access_token: 'dry-run-access-token', instance_url: s.loginUrl, token_type: 'Bearer', id: `${s.loginUrl}/id/dry-run` },
    },
  });
  let answer: TokenAnswer = {};
  try {
    answer = res.json<TokenAnswer>() ?? {};
  } catch {
    // Not JSON: not a Salesforce token endpoint, said below.
  }
  if (!answer.access_token || !answer.instance_url) {
    throw new PermanentError(`${tokenUrl(s)} answered without access_token/instance_url: is loginUrl a Salesforce login host?`);
  }
  return {
    value: { accessToken: answer.access_token, instanceUrl: answer.instance_url.replace(/\/+$/, ''), identity: answer.id },
    secrets: [answer.access_token],
  };
}
