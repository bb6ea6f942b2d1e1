import { memoize } from '../memoize.js';

// Event filters are exact types or globs where '*' matches any run of characters.
export function matchesEventFilter(type: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(type));
}

/** `video.*` → /^video\..*$/: '*' matches any run of characters, everything else literally. */
export const globToRegExp = memoize((pattern: string): RegExp => {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
});
