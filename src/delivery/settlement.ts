import { DeliveryError, EndpointGoneError, RetryableError, SkipDelivery } from '../connectors/core/errors.js';
import type { AttemptOutcome, Settlement } from '../store/types.js';
import { decideRetry, type RetryPolicy } from './retry-policy.js';

/** What a connector's attempt came to. */
export type AttemptResult = { ok: true } | { skipped: string } | { failed: DeliveryError };

export const SUCCEEDED: AttemptResult = { ok: true };

/** Reads what a connector threw: anything that is not a DeliveryError is a bug or an outage, retried. */
export function attemptResultOf(thrown: unknown): AttemptResult {
  if (thrown instanceof SkipDelivery) return { skipped: thrown.reason };
  if (thrown instanceof DeliveryError) return { failed: thrown };
  return { failed: new RetryableError(`connector error: ${(thrown as Error)?.message ?? thrown}`) };
}

/** What an attempt does to its destination besides settling its delivery. */
export interface Effects {
  /** `inconclusive`: the service was not shown up or down (a skip, a refusal); a probe it was may go again. */
  circuit?: 'success' | 'failure' | 'inconclusive';
  /** The service asked the whole destination to wait this long. */
  pauseMs?: number;
  /** Disable the destination for this reason (its endpoint is gone). */
  disable?: string;
}

export type Verdict =
  | { state: 'succeeded' }
  | { state: 'skipped'; error: string }
  | { state: 'retrying'; nextAt: number; error: string }
  | { state: 'failed'; error: string };

export interface SettlementDecision {
  settlement: Verdict & Settlement;
  effects: Effects;
}

export interface AttemptFacts {
  result: AttemptResult;
  policy: RetryPolicy;
  /** This attempt's number in its round, 1 for the first (a manual retry starts a new round). */
  attempt: number;
  /** How long ago the delivery was created, or last retried by hand. */
  ageMs: number;
  now: number;
  /** The retry jitter's source. */
  random?: () => number;
}

const SUCCESS: SettlementDecision = { settlement: { state: 'succeeded' }, effects: { circuit: 'success' } };

/** Decides how an attempt settles its delivery and what it does to the destination; nothing else. */
export function settleAttempt({ result, policy, attempt, ageMs, now, random }: AttemptFacts): SettlementDecision {
  if ('ok' in result) return SUCCESS;
  if ('skipped' in result) return { settlement: { state: 'skipped', error: result.skipped }, effects: { circuit: 'inconclusive' } };
  const failure = result.failed;
  if (!(failure instanceof RetryableError)) {
    const effects: Effects = failure instanceof EndpointGoneError ? { circuit: 'inconclusive', disable: failure.message } : { circuit: 'inconclusive' };
    return { settlement: { state: 'failed', error: failure.message }, effects };
  }
  const effects: Effects = failure.rateLimited && failure.afterMs ? { circuit: 'failure', pauseMs: failure.afterMs } : { circuit: 'failure' };
  const retry = decideRetry(policy, attempt, ageMs, failure.afterMs, random);
  if (!retry.retry) return { settlement: { state: 'failed', error: `${failure.message} (${retry.reason})` }, effects };
  return { settlement: { state: 'retrying', nextAt: now + retry.delayMs, error: failure.message }, effects };
}

/** The attempt log's word for each settlement. */
export const OUTCOME_OF: Record<Verdict['state'], AttemptOutcome> = {
  succeeded: 'ok',
  skipped: 'skipped',
  retrying: 'retrying',
  failed: 'failed',
};
