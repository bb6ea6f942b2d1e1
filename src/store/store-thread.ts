// The store's own thread: SQLite statements, commits and fsyncs run here, beside the daemon's
// event loop rather than on it. Calls arrive and answers leave in batches, one message per turn.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type { Call, Reply } from './threaded.js';
import { batchPerTurn } from './turn-batch.js';

const { dataDir, options } = workerData as { dataDir: string; options?: SqliteStoreOptions };
const port = parentPort!;
const store = SqliteStore.open(dataDir, options);

const answer = batchPerTurn<Reply>((replies) => port.postMessage(replies));

async function run(call: Call): Promise<unknown> {
  const method = (store as unknown as Record<string, (...args: unknown[]) => unknown>)[call.method];
  if (typeof method !== 'function') throw new Error(`the store has no method ${call.method}`);
  return method.apply(store, call.args);
}

port.on('message', (calls: Call[]) => {
  for (const call of calls) {
    run(call).then(
      (value) => answer({ id: call.id, value }),
      (err: Error & { code?: string }) => answer({ id: call.id, error: { name: err?.name, message: err?.message ?? String(err), code: err?.code } }),
    );
  }
});
