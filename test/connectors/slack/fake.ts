import { startReceiver, type ReceivedRequest, type Receiver, type Reply } from '../../helpers/receiver.js';

// A Slack incoming-webhook endpoint: plain-text answers (`ok`, `invalid_blocks`, `no_service` …),
// Block Kit limits checked the way Slack refuses them, and 429 + Retry-After above its rate.

export interface FakeSlack {
  receiver: Receiver;
  /** The webhook URL this fake accepts. */
  webhookUrl: string;
  secret: string;
  /** Messages Slack would have posted. */
  posted: Array<Record<string, unknown>>;
  /** Answer the next requests with this instead (a code like `channel_is_archived`). */
  failWith(status: number, code: string, headers?: Record<string, string>): void;
  /** At most this many messages per second; the next one gets 429 + Retry-After. */
  rateLimit(perSecond: number, retryAfterSeconds?: number): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

function textOf(value: unknown): string | undefined {
  return value && typeof value === 'object' && typeof (value as Json).text === 'string' ? ((value as Json).text as string) : undefined;
}

/** Why Slack would answer invalid_blocks, or undefined when the blocks are acceptable. */
/** Why Slack would refuse this actions block: link buttons only, with Block Kit's limits. */
function actionsProblem(block: Json, actionIds: Set<string>): string | undefined {
  const elements = block.elements as Json[];
  if (!Array.isArray(elements) || elements.length === 0 || elements.length > 25) return 'actions elements';
  for (const element of elements) {
    if (element.type !== 'button') return `unexpected element type ${String(element.type)}`;
    const text = textOf(element.text);
    if ((element.text as Json)?.type !== 'plain_text' || !text || text.length > 75) return 'button text';
    if (typeof element.url !== 'string' || element.url.length === 0 || element.url.length > 3000) return 'button url';
    const actionId = element.action_id;
    if (typeof actionId !== 'string' || actionId.length === 0 || actionId.length > 255) return 'button action_id';
    if (actionIds.has(actionId)) return 'duplicate action_id';
    actionIds.add(actionId);
    if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') return 'button style';
  }
  return undefined;
}

export function blockProblem(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return 'blocks is not an array';
  if (blocks.length > 50) return 'more than 50 blocks';
  const actionIds = new Set<string>();
  for (const block of blocks as Json[]) {
    if (block.type === 'actions') {
      const problem = actionsProblem(block, actionIds);
      if (problem) return problem;
      continue;
    }
    if (block.type === 'header') {
      const text = textOf(block.text);
      if ((block.text as Json)?.type !== 'plain_text' || !text || text.length > 150) return 'header text';
    } else if (block.type === 'section') {
      const text = textOf(block.text);
      if (text !== undefined && (text.length < 1 || text.length > 3000)) return 'section text length';
      if (text === undefined && !block.fields) return 'section without text or fields';
      const fields = block.fields as Json[] | undefined;
      if (fields && (fields.length > 10 || fields.some((f) => !textOf(f) || textOf(f)!.length > 2000))) return 'section fields';
      const accessory = block.accessory as Json | undefined;
      if (accessory && (accessory.type !== 'image' || typeof accessory.image_url !== 'string' || (accessory.image_url as string).length > 3000 || typeof accessory.alt_text !== 'string' || (accessory.alt_text as string).length > 2000)) return 'accessory';
    } else if (block.type === 'context') {
      const elements = block.elements as Json[];
      if (!Array.isArray(elements) || elements.length === 0 || elements.length > 10) return 'context elements';
      if (elements.some((e) => !textOf(e) || textOf(e)!.length > 3000)) return 'context text';
    } else return `unexpected block type ${String(block.type)}`;
  }
  return undefined;
}

export async function startFakeSlack(): Promise<FakeSlack> {
  const secret = 'wXyZ1a2B3c4D5e6F7g8H9i0J';
  const path = `/services/T01ABCDEF/B01GHIJKLMN/${secret}`;
  const posted: Json[] = [];
  let failure: { status: number; code: string; headers?: Record<string, string> } | undefined;
  let perSecond = Infinity;
  let retryAfter = 1;
  const recent: number[] = [];

  function answer(req: ReceivedRequest): Reply {
    const plain = (status: number, body: string, headers: Record<string, string> = {}): Reply => ({
      status,
      body,
      headers: { 'content-type': 'text/plain; charset=utf-8', ...headers },
    });
    if (req.method !== 'POST') return plain(405, 'invalid_method');
    if (req.url !== path) return plain(404, 'no_service');
    if (failure) return plain(failure.status, failure.code, failure.headers);
    const now = Date.now();
    while (recent.length > 0 && now - recent[0] >= 1000) recent.shift();
    if (recent.length >= perSecond) return plain(429, 'rate_limited', { 'retry-after': String(retryAfter) });
    recent.push(now);
    if (!req.headers['content-type']?.startsWith('application/json')) return plain(400, 'invalid_payload');
    let message: Json;
    try {
      message = JSON.parse(req.body) as Json;
    } catch {
      return plain(400, 'invalid_payload');
    }
    if (message.blocks !== undefined && blockProblem(message.blocks)) return plain(400, 'invalid_blocks');
    if (typeof message.text !== 'string' && message.blocks === undefined) return plain(400, 'no_text');
    posted.push(message);
    return plain(200, 'ok');
  }

  const receiver = await startReceiver(answer);
  return {
    receiver,
    webhookUrl: `${receiver.origin}${path}`,
    secret,
    posted,
    failWith(status, code, headers) {
      failure = { status, code, headers };
    },
    rateLimit(limit, seconds = 1) {
      perSecond = limit;
      retryAfter = seconds;
    },
    close: () => receiver.close(),
  };
}
