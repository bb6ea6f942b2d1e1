// The connector template: copy this folder to src/connectors/<name>/ and test/connectors/_template/
// to test/connectors/<name>/, rename, and follow docs/adding-a-connector.md. It is not registered,
// but it is compiled and tested like the others, so it cannot drift from the engine.
import { z } from 'zod';
import { AuthError, baseUrl, defineConnector, described, parseRetryAfter, PermanentError, RetryableError, secret, snippet, truncate } from '../core/index.js';

const settings = z.object({
  apiKey: secret(z.string().trim().min(8), 'An API key of the account (Settings → API).'),
  baseUrl: described(baseUrl(), 'Replaces https://api.example.com (proxies, tests).'),
});

export type TemplateSettings = z.output<typeof settings>;

const ORIGIN = 'https://api.example.com';
/** The service's own limit for a note; longer text is cut, never refused. */
const NOTE_MAX = 1000;

/** The service's error body: `{ "error": { "code": "...", "message": "..." } }`. */
function errorOf(body: string): { code?: string; message?: string } {
  try {
    return (JSON.parse(body) as { error?: { code?: string; message?: string } }).error ?? {};
  } catch {
    return { message: snippet(body) };
  }
}

export const template = defineConnector<TemplateSettings>({
  kind: 'template',
  title: 'Template',
  category: 'crm',
  description: 'Upserts a contact for each registered user and adds a note for each completed video.',
  settings,
  defaultEvents: ['user.registered', 'video.completed'],
  // What the service allows: the lane never exceeds it.
  limits: { concurrency: 2, perSecond: 5 },

  authorize: { headers: (s) => ({ authorization: `Bearer ${s.apiKey}` }) },

  classify(res, { request }) {
    if (res.status >= 200 && res.status < 300) return 'ok';
    const { code, message } = errorOf(res.body);
    const what = `${request.action ?? 'the request'} failed: ${code ?? `HTTP ${res.status}`}${message ? ` (${message})` : ''}`;
    if (res.status === 429) return new RetryableError(what, parseRetryAfter(res.headers['retry-after']), 429);
    if (res.status === 401) return new AuthError(`${what}: check apiKey`, 401);
    if (res.status >= 500) return new RetryableError(what, undefined, res.status);
    return new PermanentError(what, res.status);
  },

  handlers: {
    'user.registered': async (event, call) => {
      const { user } = event.data;
      const contact = await call.sendJson<{ id: string }>({
        method: 'PUT',
        url: `${call.settings.baseUrl ?? ORIGIN}/v1/contacts/${encodeURIComponent(user.email.toLowerCase())}`,
        json: { email: user.email, name: user.name, externalId: user.id },
        action: 'the contact upsert',
        dryRunResponse: { status: 200, body: { id: 'dry-run-contact' } },
      });
      await call.state.set(`contact:${user.id}`, contact.id);
    },
    'video.completed': async (event, call) => {
      const { video, user } = event.data;
      // The remembered id saves the service a lookup; without it the contact is named by our user id.
      const contactId = await call.state.get(`contact:${user.id}`);
      const contact = contactId ?? `external:${encodeURIComponent(user.id)}`;
      await call.send({
        method: 'POST',
        url: `${call.settings.baseUrl ?? ORIGIN}/v1/contacts/${contact}/notes`,
        // The event id makes a retried note recognisable as the same one.
        json: { externalId: event.id, text: truncate(`Video ready: ${video.title} ${video.url}`, NOTE_MAX) },
        action: 'the note',
      });
    },
  },
  skipped: {
    'video.generated': 'a note is added once the video is completed',
    'video.failed': 'failed videos are not shown to the contact',
    'session.started': 'sessions would flood the contact timeline',
    'session.ended': 'sessions would flood the contact timeline',
    custom: 'custom events have no place in a contact record',
  },

  async check(call) {
    await call.send({ method: 'GET', url: `${call.settings.baseUrl ?? ORIGIN}/v1/me`, action: 'the account read' });
    return `authenticated to ${call.settings.baseUrl ?? ORIGIN}`;
  },

  warnings(s) {
    return s.baseUrl && !/(^|\.)example\.com$/.test(new URL(s.baseUrl).hostname) ? [`baseUrl ${s.baseUrl} is not the service's host (api.example.com)`] : [];
  },
});
