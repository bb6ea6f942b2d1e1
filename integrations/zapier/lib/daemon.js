'use strict';
// How the app talks to a vidhook daemon: its base URL from the connection, the token on every
// request, and the daemon's own error messages surfaced as Zapier errors.

/** The daemon's base URL from the connection, without a trailing slash, or an error that says what to enter. */
function daemonUrl(z, bundle) {
  const raw = String(bundle.authData.url ?? '').trim().replace(/\/+$/, '');
  let url;
  try {
    url = new URL(raw);
  } catch {
    throw new z.errors.Error(
      `The vidhook URL "${raw}" is not a URL: enter the HTTPS address your daemon is reachable at, e.g. https://vidhook.example.com`,
      'invalid_url',
      400,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new z.errors.Error(`The vidhook URL must start with https:// (got ${url.protocol}//)`, 'invalid_url', 400);
  }
  return raw;
}

function addToken(request, z, bundle) {
  const token = String(bundle.authData?.token ?? '').trim();
  if (token) request.headers.Authorization = `Bearer ${token}`;
  request.headers.Accept = 'application/json';
  return request;
}

function daemonErrorMessage(response) {
  try {
    const body = JSON.parse(response.content);
    if (body?.error?.message) return { code: body.error.code, message: body.error.message };
  } catch {
    // Not the daemon's JSON (a proxy's page): fall through.
  }
  return { code: `http_${response.status}`, message: `HTTP ${response.status}` };
}

function explainErrors(response, z) {
  if (response.status < 400) return response;
  const { code, message } = daemonErrorMessage(response);
  if (response.status === 401) {
    throw new z.errors.Error(
      `vidhook refused the token (${message}): enter the token the daemon was started with (vidhook serve --token …)`,
      code,
      401,
    );
  }
  throw new z.errors.Error(`vidhook answered ${response.status}: ${message}`, code, response.status);
}

module.exports = { daemonUrl, addToken, explainErrors };
