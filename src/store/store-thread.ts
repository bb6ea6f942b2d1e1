// The store's own thread: SQLite statements, commits and fsyncs run here, beside the daemon's
// event loop rather than on it. Calls arrive and answers leave in batches, one message per turn.
import { readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type { Call, CallOf, Reply, StoreHandlers, StoreMethod, StoreResults } from './rpc.js';
import { batchPerTurn } from './turn-batch.js';

/** How much lower than the daemon's this thread's priority is: nice steps, as in nice(1). */
const LOWER_PRIORITY_BY = 5;

/**
 * Commits are batched and can wait a moment; the thread sending deliveries cannot. Where the
 * system allows it (Linux names threads in /proc), this thread yields the CPU to it when both want it.
 */
function yieldToDeliveries(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, Math.min(19, getPriority(tid) + LOWER_PRIORITY_BY));
  } catch {
    // Elsewhere the thread keeps the process's priority.
  }
}

yieldToDeliveries();
const { dataDir, options } = workerData as { dataDir: string; options?: SqliteStoreOptions };
const port = parentPort!;
const store = openStore();

/** The store in `dataDir`, or an error that says what to fix (the daemon exits 2 with it). */
function openStore(): SqliteStore {
  try {
    return SqliteStore.open(dataDir, options);
  } catch (err) {
    const why = `cannot open the store in ${dataDir}: ${(err as Error).message}; point --data-dir (or VIDHOOK_DATA_DIR) at a directory vidhook may write`;
    throw Object.assign(new Error(why), { code: 'config_error' });
  }
}

const answer = batchPerTurn<Reply>((replies) => port.postMessage(replies));

/**
 * The store answers every call itself: typing it as the handler table makes a `Store` method it
 * lacks, or implements with other arguments, a compile error here rather than a call that fails.
 */
const handlers: StoreHandlers = store;

/** Async, so that a method throwing before it returns a promise still answers with its error. */
async function run<K extends StoreMethod>({ method, args }: CallOf<K>): Promise<StoreResults[K]> {
  // Called on the table, so the method runs with the store as `this`.
  return handlers[method](...args);
}

port.on('message', (calls: Call[]) => {
  for (const call of calls) {
    run(call).then(
      (value) => answer({ id: call.id, value }),
      (err: Error & { code?: string }) => answer({ id: call.id, error: { name: err?.name, message: err?.message ?? String(err), code: err?.code } }),
    );
  }
});
