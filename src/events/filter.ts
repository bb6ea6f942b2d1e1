// Event filters are exact types or globs where '*' matches any run of characters.
export function matchesEventFilter(type: string, patterns: readonly string[]): boolean {
  return patterns.some((pattern) => globToRegExp(pattern).test(type));
}

const compiled = new Map<string, RegExp>();

/** `video.*` → /^video\..*$/: '*' matches any run of characters, everything else literally. */
export function globToRegExp(pattern: string): RegExp {
  let regexp = compiled.get(pattern);
  if (!regexp) {
    const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    if (compiled.size > 1000) compiled.clear();
    compiled.set(pattern, (regexp = new RegExp(`^${escaped}$`)));
  }
  return regexp;
}
