import { startReceiver, type ReceivedRequest, type Receiver, type Reply } from '../../helpers/receiver.js';

// A Teams Workflows webhook ("When a Teams webhook request is received"): 202 with an empty
// body once the run is queued, Logic Apps style JSON errors otherwise.

export interface FakeTeams {
  receiver: Receiver;
  webhookUrl: string;
  sig: string;
  accepted: Array<Record<string, unknown>>;
  /** The trigger allows only users of the tenant: anonymous posts get 401 DirectApiAuthorizationRequired. */
  requireTenantAuth(): void;
  /** The flow is turned off. */
  disable(): void;
  throttle(retryAfterSeconds: number): void;
  close(): Promise<void>;
}

const WORKFLOW = '8a1e0f6f3c2d4b5a9e7f1c2d3b4a5e6f';

function logicAppsError(status: number, code: string, message: string, headers: Record<string, string> = {}): Reply {
  return { status, body: { error: { code, message } }, headers };
}

export async function startFakeTeams(): Promise<FakeTeams> {
  const sig = 'Xq3lV9sKp2mN8rT5wY7zA1bC4dE6fG0hJ-uIoPaSdFg';
  const accepted: Array<Record<string, unknown>> = [];
  let mode: 'open' | 'tenant' | 'disabled' | 'throttled' = 'open';
  let retryAfter = 0;

  function answer(req: ReceivedRequest): Reply {
    const url = new URL(req.url, 'http://fake');
    if (url.pathname !== `/workflows/${WORKFLOW}/triggers/manual/paths/invoke`) {
      return logicAppsError(404, 'WorkflowNotFound', `The workflow '${url.pathname.split('/')[2] ?? ''}' could not be found.`);
    }
    if (req.method !== 'POST') return logicAppsError(405, 'TriggerRequestMethodNotValid', 'The HTTP method is not allowed.');
    if (mode === 'tenant') {
      return logicAppsError(401, 'DirectApiAuthorizationRequired', 'The request must be authenticated only by Shared Access scheme.');
    }
    if (url.searchParams.get('sig') !== sig) {
      return logicAppsError(401, 'DirectApiInvalidAuthorizationSignature', "The provided authorization signature 'sig' is not valid.");
    }
    if (mode === 'disabled') return logicAppsError(409, 'WorkflowTriggerIsNotEnabled', 'The workflow trigger is not enabled.');
    if (mode === 'throttled') return logicAppsError(429, 'WorkflowRequestsThrottled', 'Rate limit reached.', { 'retry-after': String(retryAfter) });
    try {
      accepted.push(JSON.parse(req.body) as Record<string, unknown>);
    } catch {
      return logicAppsError(400, 'InvalidRequestContent', 'The request content is not valid JSON.');
    }
    // Queued, not posted: a card the flow cannot post fails later, in the flow's run history.
    return { status: 202, headers: { 'x-ms-workflow-run-id': '08584700000000000000000000000CU00' } };
  }

  const receiver = await startReceiver(answer);
  return {
    receiver,
    webhookUrl: `${receiver.origin}/workflows/${WORKFLOW}/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${sig}`,
    sig,
    accepted,
    requireTenantAuth: () => void (mode = 'tenant'),
    disable: () => void (mode = 'disabled'),
    throttle(seconds) {
      mode = 'throttled';
      retryAfter = seconds;
    },
    close: () => receiver.close(),
  };
}
