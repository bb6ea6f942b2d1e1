import type { Call } from '../core/index.js';
import { restJson, TermExistsError, type SiteAccess } from './api.js';

export type Taxonomy = 'categories' | 'tags';

interface Term {
  id: number;
  name: string;
}

/** WordPress returns term names HTML-escaped ("R&amp;D"). */
export function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

const same = (a: string, b: string) => a.localeCompare(b, undefined, { sensitivity: 'accent' }) === 0;

async function termId(call: Call<SiteAccess>, taxonomy: Taxonomy, name: string): Promise<number> {
  const term = taxonomy === 'tags' ? 'tag' : 'category';
  const found = await restJson<Term[]>(call, {
    method: 'GET',
    route: `/wp/v2/${taxonomy}`,
    query: { search: name, per_page: '100', _fields: 'id,name' },
    action: `the lookup of the ${term} "${name}"`,
  });
  const match = Array.isArray(found) ? found.find((t) => same(decodeEntities(t.name), name)) : undefined;
  if (match) return match.id;

  try {
    const created = await restJson<Term>(call, {
      method: 'POST',
      route: `/wp/v2/${taxonomy}`,
      json: { name },
      action: `the creation of the ${term} "${name}"`,
      dryRunBody: { id: 0, name },
    });
    return created.id;
  } catch (err) {
    // Created meanwhile by someone else: WordPress names the existing term.
    if (err instanceof TermExistsError) return err.termId;
    throw err;
  }
}

/** Term ids for names, creating the missing terms. */
export async function termIds(call: Call<SiteAccess>, taxonomy: Taxonomy, names: readonly string[]): Promise<number[]> {
  const unique = [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
  const ids: number[] = [];
  for (const name of unique) ids.push(await termId(call, taxonomy, name));
  return [...new Set(ids)];
}
