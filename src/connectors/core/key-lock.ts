const tails = new Map<string, Promise<void>>();

/**
 * Runs `work` after every earlier call with the same key has finished. Two deliveries for one
 * user (a registration and a video racing in parallel) must not both find "no record" and both
 * create one.
 */
export async function withKeyLock<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = tails.get(key) ?? Promise.resolve();
  let release!: () => void;
  const tail = previous.then(() => new Promise<void>((resolve) => (release = resolve)));
  tails.set(key, tail);
  await previous;
  try {
    return await work();
  } finally {
    release();
    if (tails.get(key) === tail) tails.delete(key);
  }
}
