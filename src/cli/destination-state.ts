import type { DestinationState } from '../destinations/index.js';
import type { Output } from './output.js';

/** A destination's state word, coloured the same in every command: green sends, yellow waits, red does not send. */
export function colorState(out: Output, state: DestinationState): string {
  const c = out.color;
  return state === 'enabled' ? c.green(state) : state === 'paused' ? c.yellow(state) : c.red(state);
}
