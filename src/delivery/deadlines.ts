import { EventEmitter } from 'node:events';

/** Emits `abort` once its deadline passes; then `aborted` is true and `reason` a TimeoutError. */
export interface DeadlineSignal extends EventEmitter {
  aborted: boolean;
  reason?: unknown;
}

const GRANULARITY_MS = 100;
const buckets = new Map<number, DeadlineSignal>();

/**
 * A signal that aborts once `timeoutMs` has passed. Requests whose deadlines fall in the same
 * 100 ms share one signal and one timer: cheaper than an AbortController and a timer each.
 */
export function deadlineSignal(timeoutMs: number): DeadlineSignal {
  const at = Math.ceil((Date.now() + timeoutMs) / GRANULARITY_MS) * GRANULARITY_MS;
  let signal = buckets.get(at);
  if (!signal) {
    const fresh = Object.assign(new EventEmitter(), { aborted: false, reason: undefined as unknown });
    fresh.setMaxListeners(0);
    buckets.set(at, (signal = fresh));
    setTimeout(() => {
      buckets.delete(at);
      fresh.aborted = true;
      fresh.reason = new DOMException('timed out', 'TimeoutError');
      fresh.emit('abort');
    }, at - Date.now()).unref();
  }
  return signal;
}
