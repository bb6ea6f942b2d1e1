// Serves a SqliteStore to another thread over a message port: calls arrive and answers leave in
// batches, one message per turn. The store's own worker (store-thread.ts) and the main thread of
// `vidhook serve` both serve it this way.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { SqliteStore } from './sqlite.js';
import type { Call, Reply } from './threaded.js';
import { batchPerTurn } from './turn-batch.js';

/** How much lower than the daemon's the serving thread's priority is: nice steps, as in nice(1). */
const LOWER_PRIORITY_BY = 5;

/**
 * Commits are batched and can wait a moment; the thread sending deliveries cannot. Where the
 * system allows it (Linux names threads in /proc), the calling thread yields the CPU to it when
 * both want it. Threads it starts later inherit the lower priority.
 */
export function yieldToDeliveries(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, Math.min(19, getPriority(tid) + LOWER_PRIORITY_BY));
  } catch {
    // Elsewhere the thread keeps the process's priority.
  }
}

export interface StorePort {
  postMessage(replies: Reply[]): void;
  on(event: 'message', listener: (calls: Call[]) => void): unknown;
}

/** Answers every call on `port` from `store`; a store that failed to open answers each call with why. */
export function serveStore(port: StorePort, store: SqliteStore | Error): void {
  const answer = batchPerTurn<Reply>((replies) => port.postMessage(replies));
  const run = async (call: Call): Promise<unknown> => {
    if (store instanceof Error) throw store;
    const method = (store as unknown as Record<string, (...args: unknown[]) => unknown>)[call.method];
    if (typeof method !== 'function') throw new Error(`the store has no method ${call.method}`);
    return method.apply(store, call.args);
  };
  port.on('message', (calls) => {
    for (const call of calls) {
      run(call).then(
        (value) => answer({ id: call.id, value }),
        (err: Error & { code?: string }) => answer({ id: call.id, error: { name: err?.name, message: err?.message ?? String(err), code: err?.code } }),
      );
    }
  });
}
