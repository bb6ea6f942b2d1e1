import { startReceiver, type Receiver } from '../../helpers/receiver.js';

export const FAKE_API_KEY = 'tmpl_live_0123456789abcdef';

/**
 * The service as strict as its documentation: a bearer key, JSON bodies, an error object, a
 * note only on a contact that exists. Copy and change it to speak your service's protocol.
 */
export interface FakeService extends Receiver {
  contacts: Map<string, { id: string; email: string }>;
  notes: Array<{ contactId: string; externalId: string; text: string }>;
}

export async function startFakeService(): Promise<FakeService> {
  const contacts = new Map<string, { id: string; email: string }>();
  const notes: FakeService['notes'] = [];
  const error = (status: number, code: string, message: string) => ({ status, body: { error: { code, message } } });
  const receiver = await startReceiver((req) => {
    if (req.headers.authorization !== `Bearer ${FAKE_API_KEY}`) return error(401, 'unauthorized', `key ${req.headers.authorization ?? 'missing'} is not valid`);
    const contact = /^\/v1\/contacts\/([^/]+)$/.exec(req.url);
    if (req.method === 'PUT' && contact) {
      const email = decodeURIComponent(contact[1]);
      const body = req.json<{ email?: string }>();
      if (body.email?.toLowerCase() !== email) return error(400, 'invalid_email', 'the email in the path and the body differ');
      const kept = contacts.get(email) ?? { id: `c${contacts.size + 1}`, email };
      contacts.set(email, kept);
      return { status: 200, body: { id: kept.id } };
    }
    const note = /^\/v1\/contacts\/([^/]+)\/notes$/.exec(req.url);
    if (req.method === 'POST' && note) {
      if (![...contacts.values()].some((c) => c.id === note[1])) return error(404, 'not_found', `no contact ${note[1]}`);
      const body = req.json<{ externalId: string; text: string }>();
      if (body.text.length > 1000) return error(400, 'too_long', 'text is over 1000 characters');
      if (!notes.some((n) => n.externalId === body.externalId)) notes.push({ contactId: note[1], ...body });
      return { status: 201, body: {} };
    }
    if (req.method === 'GET' && req.url === '/v1/me') return { status: 200, body: { account: 'acme' } };
    return error(404, 'not_found', `no route ${req.method} ${req.url}`);
  });
  return Object.assign(receiver, { contacts, notes });
}
