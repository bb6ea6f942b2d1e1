import { startReceiver, type ReceivedRequest, type Receiver, type Reply } from '../../helpers/receiver.js';

// A Zapier "Catch Hook": 200 with request-tracking JSON for every JSON object, 410 once the Zap is off.

export interface FakeZapier {
  receiver: Receiver;
  hookUrl: string;
  caught: unknown[];
  turnOff(): void;
  close(): Promise<void>;
}

export async function startFakeZapier(): Promise<FakeZapier> {
  const hookPath = '/hooks/catch/1234567/3b9xq7k/';
  const caught: unknown[] = [];
  let on = true;
  let counter = 0;

  function answer(req: ReceivedRequest): Reply {
    if (req.url !== hookPath) return { status: 404, body: { status: 'failure', message: 'hook not found' } };
    if (!on) return { status: 410, body: { status: 'failure', message: 'This hook is no longer active.' } };
    if (req.method !== 'POST') return { status: 405, body: { status: 'failure' } };
    try {
      caught.push(JSON.parse(req.body));
    } catch {
      caught.push(req.body);
    }
    counter += 1;
    const id = `0192c3a4-0000-7000-8000-${String(counter).padStart(12, '0')}`;
    return { status: 200, body: { attempt: id, id, request_id: id, status: 'success' } };
  }

  const receiver = await startReceiver(answer);
  return {
    receiver,
    hookUrl: `${receiver.origin}${hookPath}`,
    caught,
    turnOff: () => void (on = false),
    close: () => receiver.close(),
  };
}
