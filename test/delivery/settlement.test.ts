import { describe, expect, it } from 'vitest';
import { AuthError, EndpointGoneError, type DeliveryError, PermanentError, RetryableError, SkipDelivery } from '../../src/connectors/core/errors.js';
import type { RetryPolicy } from '../../src/delivery/retry-policy.js';
import { attemptResultOf, settleAttempt, type AttemptResult, type SettlementDecision } from '../../src/delivery/settlement.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** Three attempts: now, 5 min later, 30 min after that; gives up at 3 days once it has had 2. */
const POLICY: RetryPolicy = { schedule: [0, 5 * MINUTE, 30 * MINUTE], jitter: 0, deadlineMs: 72 * HOUR, minAttempts: 2 };
const CLI_POLICY: RetryPolicy = { schedule: [0, 1_000, 2_000], jitter: 0, maxDelayMs: 10_000 };

interface Row {
  name: string;
  result: AttemptResult;
  attempt: number;
  ageMs?: number;
  policy?: RetryPolicy;
  expected: SettlementDecision;
}

const failed = (error: DeliveryError): AttemptResult => ({ failed: error });

const rows: Row[] = [
  {
    name: 'a delivered event succeeds and closes the circuit',
    result: { ok: true },
    attempt: 1,
    expected: { settlement: { state: 'succeeded' }, effects: { circuit: 'success' } },
  },
  {
    name: 'an event the connector does not map is skipped with its reason, proving nothing about the service',
    result: { skipped: 'Meta takes no session.started' },
    attempt: 1,
    expected: { settlement: { state: 'skipped', error: 'Meta takes no session.started' }, effects: { circuit: 'inconclusive' } },
  },
  {
    name: 'a 503 on the first attempt retries at the next step of the schedule and counts against the circuit',
    result: failed(new RetryableError('HTTP 503', undefined, 503)),
    attempt: 1,
    expected: { settlement: { state: 'retrying', nextAt: NOW + 5 * MINUTE, error: 'HTTP 503' }, effects: { circuit: 'failure' } },
  },
  {
    name: 'a 429 with Retry-After retries when asked and pauses the whole destination as long',
    result: failed(new RetryableError('HTTP 429', 20 * MINUTE, 429)),
    attempt: 1,
    expected: { settlement: { state: 'retrying', nextAt: NOW + 20 * MINUTE, error: 'HTTP 429' }, effects: { circuit: 'failure', pauseMs: 20 * MINUTE } },
  },
  {
    name: 'a 429 without a delay waits for the schedule and pauses nothing',
    result: failed(new RetryableError('HTTP 429', undefined, 429)),
    attempt: 2,
    expected: { settlement: { state: 'retrying', nextAt: NOW + 30 * MINUTE, error: 'HTTP 429' }, effects: { circuit: 'failure' } },
  },
  {
    name: 'a delay the service names that is shorter than the schedule is not taken',
    result: failed(new RetryableError('HTTP 503', 1_000, 503)),
    attempt: 1,
    expected: { settlement: { state: 'retrying', nextAt: NOW + 5 * MINUTE, error: 'HTTP 503' }, effects: { circuit: 'failure' } },
  },
  {
    name: 'the last attempt of the schedule fails the delivery, saying why',
    result: failed(new RetryableError('HTTP 500', undefined, 500)),
    attempt: 3,
    expected: { settlement: { state: 'failed', error: 'HTTP 500 (gave up after 3 attempts)' }, effects: { circuit: 'failure' } },
  },
  {
    name: 'a delivery past its deadline fails once it has had the minimum of attempts',
    result: failed(new RetryableError('timed out')),
    attempt: 2,
    ageMs: 73 * HOUR,
    expected: { settlement: { state: 'failed', error: 'timed out (gave up after 2 attempts over 73 h)' }, effects: { circuit: 'failure' } },
  },
  {
    name: 'the CLI fails rather than wait longer than it will run',
    result: failed(new RetryableError('HTTP 429', HOUR, 429)),
    attempt: 1,
    policy: CLI_POLICY,
    expected: {
      settlement: { state: 'failed', error: 'HTTP 429 (the service asked to wait 3600 s; retry later with `vidhook deliveries retry`)' },
      effects: { circuit: 'failure', pauseMs: HOUR },
    },
  },
  {
    name: 'a refused request fails at once and leaves the circuit alone',
    result: failed(new PermanentError('HTTP 400: missing field', 400)),
    attempt: 1,
    expected: { settlement: { state: 'failed', error: 'HTTP 400: missing field' }, effects: { circuit: 'inconclusive' } },
  },
  {
    name: 'refused credentials fail at once',
    result: failed(new AuthError('HTTP 401: invalid_auth', 401)),
    attempt: 2,
    expected: { settlement: { state: 'failed', error: 'HTTP 401: invalid_auth' }, effects: { circuit: 'inconclusive' } },
  },
  {
    name: 'an endpoint that is gone fails the delivery and disables the destination',
    result: failed(new EndpointGoneError('HTTP 410 Gone: the endpoint no longer exists', 410)),
    attempt: 1,
    expected: {
      settlement: { state: 'failed', error: 'HTTP 410 Gone: the endpoint no longer exists' },
      effects: { circuit: 'inconclusive', disable: 'HTTP 410 Gone: the endpoint no longer exists' },
    },
  },
];

describe('settling an attempt', () => {
  it.each(rows)('$name', ({ result, attempt, ageMs = 0, policy = POLICY, expected }) => {
    expect(settleAttempt({ result, policy, attempt, ageMs, now: NOW })).toEqual(expected);
  });

  it('adds jitter to the scheduled delay, never takes from it', () => {
    const result = failed(new RetryableError('HTTP 503', undefined, 503));
    const jittery = { ...POLICY, jitter: 0.2 };
    expect(settleAttempt({ result, policy: jittery, attempt: 1, ageMs: 0, now: NOW, random: () => 0.5 }).settlement).toMatchObject({ nextAt: NOW + 5.5 * MINUTE });
    expect(settleAttempt({ result, policy: jittery, attempt: 1, ageMs: 0, now: NOW, random: () => 0 }).settlement).toMatchObject({ nextAt: NOW + 5 * MINUTE });
  });
});

describe('reading what a connector threw', () => {
  it('takes a skip as a skip and a delivery error as it is', () => {
    const gone = new EndpointGoneError('HTTP 410 Gone', 410);
    expect(attemptResultOf(new SkipDelivery('not mapped'))).toEqual({ skipped: 'not mapped' });
    expect(attemptResultOf(gone)).toEqual({ failed: gone });
  });

  it('retries anything else: a bug or an outage in the connector is not the event’s fault', () => {
    const result = attemptResultOf(new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect('failed' in result && result.failed).toBeInstanceOf(RetryableError);
    expect('failed' in result && result.failed.message).toBe("connector error: Cannot read properties of undefined (reading 'id')");
  });
});
