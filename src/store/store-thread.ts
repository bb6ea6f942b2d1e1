// The store's own thread: SQLite statements, commits and fsyncs run here, beside the caller's
// event loop rather than on it.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import { serveStore, yieldToDeliveries } from './serve-store.js';

yieldToDeliveries();
const { dataDir, options } = workerData as { dataDir: string; options?: SqliteStoreOptions };
serveStore(parentPort!, SqliteStore.open(dataDir, options));
