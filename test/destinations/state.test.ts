import { describe, expect, it } from 'vitest';
import { destinationState, type DestinationFacts, type DestinationStateView } from '../../src/destinations/index.js';

const circuit = { cause: 'circuit', reason: 'circuit open after repeated failures; next probe at 2026-12-01T12:00:30.000Z' } as const;

const rows: Array<{ name: string; facts: DestinationFacts; expected: DestinationStateView }> = [
  { name: 'a configured destination with nothing against it is enabled', facts: { enabled: true, source: 'user' }, expected: { state: 'enabled' } },
  {
    name: 'one whose config did not validate is invalid, with the config error',
    facts: { invalid: 'destination "crm", setting "accessToken": is required', source: 'project' },
    expected: { state: 'invalid', reason: 'destination "crm", setting "accessToken": is required' },
  },
  {
    name: 'one the store holds disabled is disabled, with the stored reason',
    facts: { enabled: true, source: 'runtime', disabledReason: 'HTTP 410 Gone: the endpoint no longer exists', pause: circuit },
    expected: { state: 'disabled', reason: 'HTTP 410 Gone: the endpoint no longer exists' },
  },
  {
    name: 'one switched off in its config is disabled, saying where',
    facts: { enabled: false, source: 'project' },
    expected: { state: 'disabled', reason: 'enabled: false in the project file' },
  },
  {
    name: 'one the dispatcher holds back is paused, with why',
    facts: { enabled: true, source: 'user', pause: circuit },
    expected: { state: 'paused', reason: circuit.reason },
  },
];

describe("a destination's state", () => {
  it.each(rows)('$name', ({ facts, expected }) => {
    expect(destinationState(facts)).toEqual(expected);
  });
});
