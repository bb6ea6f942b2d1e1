import { ORIGIN_LABEL, type DestinationOrigin } from './types.js';

/**
 * The one vocabulary for a destination's state, wherever it is shown (CLI, API, doctor):
 * - enabled: deliveries go out;
 * - disabled: kept queued until enabled again (by an operator, its endpoint answering 410 Gone, or `enabled: false`);
 * - paused: the dispatcher holds it back for a while (circuit open or probing, the service's rate limit,
 *   the store refusing writes — a full disk);
 * - invalid: its config did not validate, so nothing can be sent.
 */
export const DESTINATION_STATES = ['enabled', 'disabled', 'paused', 'invalid'] as const;
export type DestinationState = (typeof DESTINATION_STATES)[number];

/** Why a running dispatcher holds a destination back. */
export interface Pause {
  cause: 'circuit' | 'rate_limit' | 'store';
  reason: string;
}

/** What is known of a destination, from config, the store and a running dispatcher. */
export interface DestinationFacts {
  /** The config error, when its config did not validate. */
  invalid?: string;
  /** The config's own switch; absent when the config did not resolve. */
  enabled?: boolean;
  source: DestinationOrigin;
  /** The reason in the store's disabled flag, when set. */
  disabledReason?: string;
  pause?: Pause;
}

/** A destination's state, with the reason whenever it is not enabled. */
export interface DestinationStateView {
  state: DestinationState;
  reason?: string;
}

const ENABLED: DestinationStateView = Object.freeze({ state: 'enabled' });

export function destinationState(facts: DestinationFacts): DestinationStateView {
  if (facts.invalid !== undefined) return { state: 'invalid', reason: facts.invalid };
  if (facts.disabledReason !== undefined) return { state: 'disabled', reason: facts.disabledReason };
  if (facts.enabled === false) return { state: 'disabled', reason: `enabled: false in the ${ORIGIN_LABEL[facts.source]}` };
  if (facts.pause) return { state: 'paused', reason: facts.pause.reason };
  return ENABLED;
}
