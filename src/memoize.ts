/**
 * Remembers `compute`'s results by key, forgetting them all once there are `max`: for values worked
 * out again and again from a few inputs (a destination's URL, a secret, a glob, a statement).
 */
export function memoize<K, V>(compute: (key: K) => V, max = 1000): (key: K) => V {
  const cache = new Map<K, V>();
  return (key) => {
    let value = cache.get(key);
    if (value === undefined) {
      value = compute(key);
      if (cache.size >= max) cache.clear();
      cache.set(key, value);
    }
    return value;
  };
}
