import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { SqliteStore } from '../../src/store/sqlite.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { BIN, sandbox, type Sandbox } from '../helpers/cli.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

describe('vidhook emit', () => {
  let box: Sandbox;
  let receiver: Receiver;

  beforeEach(async () => {
    box = sandbox();
    receiver = await startReceiver();
    box.writeConfig(`
destinations:
  partner:
    connector: webhook
    url: ${receiver.url}
    secret: ${SECRET}
    headers:
      authorization: Bearer \${PARTNER_TOKEN}
`);
    box.env.PARTNER_TOKEN = 'tok_live_4f8a9b2c7d1e6f3a';
  });
  afterEach(async () => {
    await receiver.close();
    box.cleanup();
  });

  it('delivers a sample event signed so both Standard Webhooks libraries verify it', async () => {
    const result = await box.run(['emit', 'video.generated', '--sample']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/✓\s+partner\s+webhook\s+delivered\s+200/);
    const [req] = receiver.requests;
    const body = new StandardWebhook(SECRET).verify(req.body, req.headers) as { type: string; data: { video: { title: string } } };
    expect(body.type).toBe('video.generated');
    expect(body.data.video.title).toBe('Product launch teaser');
    expect(() => new SvixWebhook(SECRET).verify(req.body, req.headers)).not.toThrow();
    expect(req.headers.authorization).toBe('Bearer tok_live_4f8a9b2c7d1e6f3a');
  });

  it('keeps the event and its attempts in the local store', async () => {
    const result = await box.run(['emit', 'video.completed', '--sample', '--json']);
    expect(result.exitCode).toBe(0);
    const output = JSON.parse(result.stdout);
    const store = SqliteStore.open(box.env.VIDHOOK_DATA_DIR);
    try {
      const stored = await store.getEvent(output.event.id);
      expect(stored?.event.type).toBe('video.completed');
      expect(stored?.deliveries).toHaveLength(1);
      expect(stored?.deliveries[0].state).toBe('succeeded');
      const attempts = await store.listAttempts({ deliveryId: stored!.deliveries[0].id });
      expect(attempts).toHaveLength(1);
      expect(attempts[0]).toMatchObject({ outcome: 'ok', statusCode: 200, destination: 'partner' });
      expect(JSON.stringify(attempts)).not.toContain('tok_live_4f8a9b2c7d1e6f3a');
    } finally {
      await store.close();
    }
  });

  it('prints the exact requests on --dry-run with secrets masked, and sends nothing', async () => {
    const result = await box.run(['emit', 'user.registered', '--sample', '--id', 'evt_dry1', '--dry-run']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`POST ${receiver.url}`);
    expect(result.stdout).toContain('webhook-id: evt_dry1');
    expect(result.stdout).toMatch(/webhook-signature: v1,[A-Za-z0-9+/=]{44}/);
    expect(result.stdout).toContain('authorization: Bearer tok_…6f3a');
    expect(result.stdout).not.toContain('tok_live_4f8a9b2c7d1e6f3a');
    expect(result.stdout).toContain('"email": "maya.chen@example.com"');
    expect(receiver.requests).toHaveLength(0);
  });

  it('prints the dry run as JSON with --json', async () => {
    const result = await box.run(['emit', 'user.registered', '--sample', '--dry-run', '--json']);
    const doc = JSON.parse(result.stdout);
    expect(doc.destinations[0].requests[0]).toMatchObject({ method: 'POST', url: receiver.url });
    expect(JSON.parse(doc.destinations[0].requests[0].body).type).toBe('user.registered');
  });

  it('takes data from --data, a file, stdin and --set, with --set applied last', async () => {
    const file = join(box.dir, 'data.json');
    writeFileSync(file, JSON.stringify({ user: { id: 'u1', email: 'a@b.co' } }));
    const fromFile = await box.run(['emit', 'user.registered', '--data', `@${file}`, '--set', 'user.plan=team', '--set', 'user.seats=3']);
    expect(fromFile.exitCode).toBe(0);
    const fromStdin = await box.run(['emit', 'user.registered', '--data', '-'], { input: '{"user":{"id":"u2","email":" c@d.co "}}', stdin: undefined });
    expect(fromStdin.exitCode).toBe(0);
    const [first, second] = receiver.requests.map((r) => r.json());
    expect(first.data.user).toEqual({ id: 'u1', email: 'a@b.co', plan: 'team', seats: 3 });
    expect(second.data.user.email).toBe('c@d.co');
  });

  it('stores a repeated id once and sends nothing new', async () => {
    expect((await box.run(['emit', 'video.generated', '--sample', '--id', 'evt_same'])).exitCode).toBe(0);
    const again = await box.run(['emit', 'video.generated', '--sample', '--id', 'evt_same']);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('already stored');
    expect(receiver.requests).toHaveLength(1);
  });

  it.each([
    [['emit', 'user.registered', '--sample', '--set', 'user.email=not-an-email'], /data\.user\.email must look like local@domain/],
    [['emit', 'video.completed', '--data', '{"video":{"id":"v1","title":"T"},"user":{"id":"u"}}'], /data\.video\.url is required/],
    [['emit', 'video.exploded', '--sample'], /unknown event type "video\.exploded".*video\.generated/],
    [['emit', 'user.registered', '--data', '{"user": '], /--data is not valid JSON/],
    [['emit', 'user.registered', '--data', '[1,2]'], /must be a JSON object/],
    [['emit', 'user.registered', '--sample', '--to', 'nobody'], /no destination named nobody/],
    [['emit'], /missing required argument/],
  ])('exits 2 on bad input: %j', async (args, message) => {
    const result = await box.run(args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(receiver.requests).toHaveLength(0);
  });

  it('exits 2 naming the variable, the file and the destination when ${VAR} is unset', async () => {
    const result = await box.run(['emit', 'video.generated', '--sample'], { env: { PARTNER_TOKEN: '' } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/vidhook\.config\.yaml, destination "partner", setting "headers\.authorization": environment variable PARTNER_TOKEN is not set/);
  });

  it('exits 1 after its retries when a destination is unreachable, and says why', async () => {
    box.writeConfig(`
destinations:
  gone:
    connector: webhook
    url: http://127.0.0.1:9/nothing-listens-here
`);
    const result = await box.run(['emit', 'video.failed', '--sample', '--json']);
    expect(result.exitCode).toBe(1);
    const doc = JSON.parse(result.stdout);
    expect(doc.deliveries[0]).toMatchObject({ destination: 'gone', state: 'failed', attempts: 3 });
    expect(doc.deliveries[0].error).toMatch(/connection refused/);
  });

  it('retries a 500 and succeeds on the next attempt', async () => {
    receiver.respond((_, i) => (i === 0 ? { status: 500, body: 'boom' } : { status: 204 }));
    const result = await box.run(['emit', 'video.generated', '--sample']);
    expect(result.exitCode).toBe(0);
    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[0].headers['webhook-id']).toBe(receiver.requests[1].headers['webhook-id']);
  });

  it('does not retry a 400 and exits 1 with the answer', async () => {
    receiver.respond(() => ({ status: 400, body: { error: 'missing field' } }));
    const result = await box.run(['emit', 'video.generated', '--sample']);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/failed\s+HTTP 400: \{"error":"missing field"\}/);
    expect(receiver.requests).toHaveLength(1);
  });

  it('keeps, and does not wait for, deliveries to a disabled destination', async () => {
    expect((await box.run(['destinations', 'disable', 'partner'])).exitCode).toBe(0);
    const result = await box.run(['emit', 'video.generated', '--sample', '--json']);
    expect(result.exitCode).toBe(0);
    expect(JSON.parse(result.stdout).deliveries[0]).toMatchObject({ destination: 'partner', state: 'paused' });
    expect(receiver.requests).toHaveLength(0);
  });

  it('generates a signing secret for a webhook without one, and reveals it for the receiver', async () => {
    box.writeConfig(`
destinations:
  unsigned:
    connector: webhook
    url: ${receiver.url}
`);
    expect((await box.run(['emit', 'video.generated', '--sample'])).exitCode).toBe(0);
    const masked = JSON.parse((await box.run(['destinations', 'show', 'unsigned', '--json'])).stdout);
    expect(masked.settings.secret).toMatch(/^whsec_…/);
    const revealed = JSON.parse((await box.run(['destinations', 'show', 'unsigned', '--reveal-secret', '--json'])).stdout);
    const [req] = receiver.requests;
    expect(() => new StandardWebhook(revealed.settings.secret).verify(req.body, req.headers)).not.toThrow();
  });

  it('stops quietly when its output pipe closes early', async () => {
    const { execaCommand } = await import('execa');
    const result = await execaCommand(`node ${JSON.stringify(BIN)} emit video.completed --sample --dry-run | head -1`, {
      shell: true,
      cwd: box.dir,
      env: box.env,
      reject: false,
    });
    expect(result.stderr).not.toContain('EPIPE');
  });

  it('filters destinations by their event list and globs', async () => {
    box.writeConfig(`
destinations:
  videos-only:
    connector: webhook
    url: ${receiver.url}
    secret: ${SECRET}
    events: [video.*]
`);
    const result = await box.run(['emit', 'user.registered', '--sample']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('no destination takes user.registered');
    expect(receiver.requests).toHaveLength(0);
  });
});
