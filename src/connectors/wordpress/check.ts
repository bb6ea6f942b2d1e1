import { PermanentError, RetryableError, type Call, type CheckReport } from '../core/index.js';
import { restBase, restJson, withFix } from './api.js';
import { decodeEntities } from './terms.js';
import type { WordPressSettings } from './index.js';

interface CurrentUser {
  name?: string;
  slug?: string;
  roles?: string[];
  /** With context=edit: every capability the user has, roles included. */
  capabilities?: Record<string, boolean>;
}

interface PostType {
  slug?: string;
  rest_base?: string;
  name?: string;
  taxonomies?: string[];
  /** With context=edit: the capability names this type maps to (edit_posts → edit_pages, …). */
  capabilities?: Record<string, string>;
}

interface Problem {
  problem: string;
  fix: string;
}

/** The role that gives a capability in a core WordPress, for the fix line. */
const ROLE_FOR: Record<string, string> = {
  edit_posts: 'Contributor',
  publish_posts: 'Author',
  edit_published_posts: 'Author',
  upload_files: 'Author',
  manage_categories: 'Editor',
};

function roleFor(capability: string): string {
  return ROLE_FOR[capability] ?? 'Editor';
}

/** A failure to reach the site says to check the address, not the password. */
function reachFailure(err: unknown, siteUrl: string): unknown {
  if (err instanceof RetryableError && !err.fix) {
    return withFix(err, `make sure siteUrl (${siteUrl}) is the address of the WordPress site and that the site is up`);
  }
  return err;
}

/**
 * `destinations test` and `doctor`: who the user is, and whether its role lets it do what the
 * settings ask, before deliveries fail for good. Anything that makes every delivery fail is an
 * error; what fails later or leaves a part out is a warning.
 */
export async function checkSite(call: Call<WordPressSettings>): Promise<CheckReport> {
  const s = call.settings;
  let me: CurrentUser;
  let types: Record<string, PostType>;
  try {
    me = await restJson<CurrentUser>(call, { method: 'GET', route: '/wp/v2/users/me', query: { context: 'edit' }, action: 'the check of the current user' });
    types = await restJson<Record<string, PostType>>(call, { method: 'GET', route: '/wp/v2/types', query: { context: 'edit' }, action: 'the list of post types' });
  } catch (err) {
    throw reachFailure(err, s.siteUrl);
  }
  const roles = me.roles ?? [];
  const who = `user "${s.username}" (${roles.length ? roles.join(', ') : 'no role'})`;
  const can = (capability: string) => me.capabilities?.[capability] === true;
  const problems: Problem[] = [];
  const warnings: Problem[] = [];

  const base = restBase(s.postType);
  const type = Object.values(types ?? {}).find((t) => (t.rest_base || t.slug) === base);
  if (!type) {
    const offered = Object.values(types ?? {}).map((t) => t.rest_base || t.slug).filter(Boolean);
    problems.push({
      problem: `postType ${s.postType}: the site's REST API offers no post type with that REST base (it offers ${offered.join(', ') || 'none'})`,
      fix: `set postType to one of ${offered.join(', ')}`,
    });
  } else {
    const label = type.name ?? base;
    const cap = (generic: string) => type.capabilities?.[generic] ?? generic;
    const role = (generic: string) => (base === 'posts' ? roleFor(generic) : 'Editor');
    if (!can(cap('create_posts')) && !can(cap('edit_posts'))) {
      problems.push({ problem: `${who} may not create ${label} (${cap('edit_posts')})`, fix: `give "${s.username}" the ${role('edit_posts')} role or higher` });
    }
    if ((s.status === 'publish' || s.status === 'private') && !can(cap('publish_posts'))) {
      problems.push({
        problem: `status ${s.status} needs ${cap('publish_posts')}, which ${who} lacks`,
        fix: `set status to draft or pending, or give "${s.username}" the ${role('publish_posts')} role`,
      });
    }
    if (!can(cap('edit_published_posts'))) {
      warnings.push({
        problem: `${who} cannot update ${label} once they are published (${cap('edit_published_posts')}): a later event for a video whose post an editor published will fail`,
        fix: `give "${s.username}" the ${role('edit_published_posts')} role`,
      });
    }
    const taxonomies = type.taxonomies ?? [];
    if (s.categories?.length && !taxonomies.includes('category')) {
      warnings.push({ problem: `${label} take no categories: the categories setting is not applied`, fix: 'remove categories, or use a post type that has them' });
    }
    if (s.tags?.length && !taxonomies.includes('post_tag')) {
      warnings.push({ problem: `${label} take no tags: the tags setting is not applied`, fix: 'remove tags, or use a post type that has them' });
    }
  }
  if (s.featuredImage !== false && !can('upload_files')) {
    warnings.push({
      problem: `${who} may not upload media (upload_files): posts go out without the poster as featured image`,
      fix: `give "${s.username}" the ${roleFor('upload_files')} role, or set featuredImage false`,
    });
  }
  if (s.categories?.length && !can('manage_categories')) {
    const missing = await missingCategories(call, s.categories);
    if (missing.length) {
      problems.push({
        problem: `categories ${missing.map((n) => `"${n}"`).join(', ')} do not exist, and ${who} may not create categories (manage_categories)`,
        fix: `create them in WordPress (Posts → Categories), or give "${s.username}" the ${roleFor('manage_categories')} role`,
      });
    }
  }

  if (problems.length) {
    throw withFix(new PermanentError(problems.map((p) => p.problem).join('; ')), problems.map((p) => p.fix).join('; '));
  }
  return { detail: `signed in to ${s.siteUrl} as ${me.name ?? me.slug ?? s.username}${roles.length ? ` (${roles.join(', ')})` : ''}`, warnings };
}

async function missingCategories(call: Call<WordPressSettings>, names: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const name of names) {
    const found = await restJson<Array<{ name: string }>>(call, {
      method: 'GET',
      route: '/wp/v2/categories',
      query: { search: name, per_page: '100', _fields: 'id,name' },
      action: `the lookup of the category "${name}"`,
    });
    const same = Array.isArray(found) && found.some((t) => decodeEntities(t.name).localeCompare(name, undefined, { sensitivity: 'accent' }) === 0);
    if (!same) missing.push(name);
  }
  return missing;
}
