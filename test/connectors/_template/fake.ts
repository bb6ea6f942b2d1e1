import { startReceiver, type Receiver } from '../../helpers/receiver.js';

interface Contact {
  id: string;
  email: string;
  externalId?: string;
}

export const FAKE_API_KEY = 'tmpl_live_0123456789abcdef';

/**
 * The service as strict as its documentation: a bearer key, JSON bodies, an error object, a
 * note only on a contact that exists. Copy and change it to speak your service's protocol.
 */
export interface FakeService extends Receiver {
  contacts: Map<string, Contact>;
  notes: Array<{ contactId: string; externalId: string; text: string }>;
}

export async function startFakeService(): Promise<FakeService> {
  const contacts = new Map<string, Contact>();
  const notes: FakeService['notes'] = [];
  const error = (status: number, code: string, message: string) => ({ status, body: { error: { code, message } } });
  const receiver = await startReceiver((req) => {
    if (req.headers.authorization !== `Bearer ${FAKE_API_KEY}`) return error(401, 'unauthorized', `key ${req.headers.authorization ?? 'missing'} is not valid`);
    const contact = /^\/v1\/contacts\/([^/]+)$/.exec(req.url);
    if (req.method === 'PUT' && contact) {
      const email = decodeURIComponent(contact[1]);
      const body = req.json<{ email?: string; externalId?: string }>();
      if (body.email?.toLowerCase() !== email) return error(400, 'invalid_email', 'the email in the path and the body differ');
      const kept = contacts.get(email) ?? { id: `c${contacts.size + 1}`, email, externalId: body.externalId };
      contacts.set(email, kept);
      return { status: 200, body: { id: kept.id } };
    }
    const note = /^\/v1\/contacts\/([^/]+)\/notes$/.exec(req.url);
    if (req.method === 'POST' && note) {
      const key = decodeURIComponent(note[1]);
      const found = [...contacts.values()].find((c) => c.id === key || `external:${c.externalId}` === key);
      if (!found) return error(404, 'not_found', `no contact ${key}`);
      const body = req.json<{ externalId: string; text: string }>();
      if (body.text.length > 1000) return error(400, 'too_long', 'text is over 1000 characters');
      if (!notes.some((n) => n.externalId === body.externalId)) notes.push({ contactId: found.id, ...body });
      return { status: 201, body: {} };
    }
    if (req.method === 'GET' && req.url === '/v1/me') return { status: 200, body: { account: 'acme' } };
    return error(404, 'not_found', `no route ${req.method} ${req.url}`);
  });
  return Object.assign(receiver, { contacts, notes });
}
