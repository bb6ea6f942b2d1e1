import { errorBody, wordPressFailure, type WordPressApi } from './api.js';

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

async function termId(wp: WordPressApi, taxonomy: Taxonomy, name: string): Promise<number> {
  const found = await wp.expect<Term[]>(
    { method: 'GET', route: `/wp/v2/${taxonomy}`, query: { search: name, per_page: '100', _fields: 'id,name' }, dryRunBody: [] },
    `look up the ${taxonomy} "${name}"`,
  );
  const match = Array.isArray(found) ? found.find((t) => same(decodeEntities(t.name), name)) : undefined;
  if (match) return match.id;

  const res = await wp.call({ method: 'POST', route: `/wp/v2/${taxonomy}`, json: { name }, dryRunStatus: 201, dryRunBody: { id: 0, name } });
  if (res.status === 201 || res.status === 200) return res.json<Term>().id;
  // Created meanwhile by someone else: WordPress names the existing term.
  const body = errorBody(res);
  if (body?.code === 'term_exists' && typeof body.data?.term_id === 'number') return body.data.term_id;
  throw wordPressFailure(res, `create the ${taxonomy === 'tags' ? 'tag' : 'category'} "${name}"`, wp.username);
}

/** Term ids for names, creating the missing terms. */
export async function termIds(wp: WordPressApi, taxonomy: Taxonomy, names: readonly string[]): Promise<number[]> {
  const unique = [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
  const ids: number[] = [];
  for (const name of unique) ids.push(await termId(wp, taxonomy, name));
  return [...new Set(ids)];
}
