import type { AttemptNoticeSource, Store } from '../store/types.js';
import { streamValue, type AttemptFeed } from './sse.js';

/**
 * Every daemon's attempts, as the shared store announces them on commit: each announcement is
 * read from the attempt log and published in the order announced. The stream runs it only while
 * someone follows, so a daemon nobody watches listens to nothing and reads nothing.
 */
export function sharedAttemptFeed(store: Store & AttemptNoticeSource, warn: (message: string) => void): AttemptFeed {
  return {
    async start(publish, lost) {
      let stopped = false;
      let reading = Promise.resolve();
      const stopListening = await store.listenForAttempts(
        (ids) => {
          reading = reading.then(async () => {
            if (stopped) return;
            try {
              for (const attempt of await store.attemptsByIds(ids)) if (!stopped) publish(streamValue(attempt));
            } catch (err) {
              // Followers are let go rather than left with a gap: they reconnect and replay it from the log.
              if (stopped) return;
              stopped = true;
              await stopListening();
              warn(`the attempt stream could not read attempts from the store (${(err as Error).message}); followers reconnect and replay what they missed`);
              lost(err as Error);
            }
          });
        },
        (err) => {
          stopped = true;
          warn(`the attempt stream lost its connection to the store (${err.message}); followers reconnect and replay what they missed`);
          lost(err);
        },
      );
      return async () => {
        stopped = true;
        await stopListening();
      };
    },
  };
}
