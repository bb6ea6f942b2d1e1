import { z } from 'zod';
import type { Envelope, Video } from '../../events/index.js';
import { PayloadValidationError, SkipDelivery } from '../core/errors.js';
import { described, httpUrl, secret } from '../core/settings.js';
import { renderTemplate, templateProblem, templateVariables, unsafeMarkup, TemplateError } from '../templates.js';
import type { Connector, DeliveryContext, Destination, Http } from '../core/types.js';
import { classifyVideoUrl, httpUrlOrUndefined } from '../video-links.js';
import { errorBody, wordPressFailure, WordPressApi } from './api.js';
import { videoBlock } from './blocks.js';
import { posterMediaId } from './poster.js';
import { termIds } from './terms.js';

export const DEFAULT_TITLE_TEMPLATE = '{{ video.title }}';
export const DEFAULT_CONTENT_TEMPLATE = `{{ video_block }}
{%- if video.description %}

<!-- wp:paragraph -->
<p>{{ video.description }}</p>
<!-- /wp:paragraph -->
{%- endif %}
{%- if video.prompt %}

<!-- wp:paragraph -->
<p><em>Prompt:</em> {{ video.prompt }}</p>
<!-- /wp:paragraph -->
{%- endif %}`;

// Settings may arrive as text from `configure --set`.
const nameList = () =>
  z
    .preprocess(
      (v) => (typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v),
      z.array(z.string().trim().min(1).max(200)),
    )
    .optional();
const flag = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).optional();
const template = () =>
  z
    .string()
    .superRefine((value, issue) => {
      const problem = templateProblem(value);
      if (problem) issue.addIssue({ code: 'custom', message: `is not a valid template: ${problem}` });
    })
    .optional();

const settings = z.object({
  siteUrl: described(
    httpUrl().transform((v) => v.replace(/\/+$/, '')),
    'The site address (https://example.com, or https://example.com/blog for a site in a folder).',
  ),
  username: described(z.string().trim().min(1), 'The WordPress user the posts are created as.'),
  appPassword: secret(z.string().trim().min(1), 'An application password of that user (Users → Profile → Application Passwords).'),
  status: described(z.enum(['draft', 'pending', 'private', 'publish']).optional(), 'Status of new posts (default draft).'),
  categories: described(nameList(), 'Category names for the posts; missing ones are created.'),
  tags: described(nameList(), 'Tag names for the posts; missing ones are created.'),
  videoTags: described(flag(), "Also tag posts with the video's own tags (default false)."),
  featuredImage: described(flag(), 'Upload the poster (video.thumbnailUrl) as featured image (default true).'),
  titleTemplate: described(template(), `Liquid template of the post title (default ${DEFAULT_TITLE_TEMPLATE}).`),
  contentTemplate: described(template(), 'Liquid template of the post body; {{ video_block }} places the video.'),
});

export type WordPressSettings = z.output<typeof settings>;

const SKIP_REASONS: Record<string, string> = {
  'video.generated': 'WordPress posts are created when the video is completed',
  'video.failed': 'a failed video has nothing to post',
  'user.registered': 'user events do not become WordPress posts',
  'session.started': 'session events do not become WordPress posts',
  'session.ended': 'session events do not become WordPress posts',
};

function api(dest: Destination<WordPressSettings>, http: Http, ctx: DeliveryContext): WordPressApi {
  const { siteUrl, username, appPassword } = dest.settings;
  return new WordPressApi({ siteUrl, username, appPassword }, http, ctx);
}

async function render(source: string, variables: Record<string, unknown>, setting: string): Promise<string> {
  let out: string;
  try {
    out = await renderTemplate(source, variables, 'html');
  } catch (err) {
    if (err instanceof TemplateError) throw new PayloadValidationError(`${setting}: ${err.message}`);
    throw err;
  }
  const unsafe = unsafeMarkup(out);
  if (unsafe) throw new PayloadValidationError(`${setting} renders ${unsafe}, which is never sent to WordPress`);
  return out;
}

interface PostFields {
  title: string;
  content: string;
  categories?: number[];
  tags?: number[];
  featured_media?: number;
}

async function postFields(event: Envelope, video: Video, s: WordPressSettings, wp: WordPressApi, http: Http, ctx: DeliveryContext): Promise<PostFields> {
  const link = classifyVideoUrl(video.url ?? '');
  if (!link) throw new PayloadValidationError('video.url must be an http(s) URL');
  const poster = httpUrlOrUndefined(video.thumbnailUrl);
  const block = videoBlock(link, { poster, width: video.width, height: video.height });
  const variables = templateVariables(event, { video_block: block });

  const title = (await render(s.titleTemplate ?? DEFAULT_TITLE_TEMPLATE, variables, 'titleTemplate')).replace(/\s+/g, ' ').trim();
  if (!title) throw new PayloadValidationError('titleTemplate renders an empty title');
  const content = await render(s.contentTemplate ?? DEFAULT_CONTENT_TEMPLATE, variables, 'contentTemplate');

  const categories = await termIds(wp, 'categories', s.categories ?? []);
  const tags = await termIds(wp, 'tags', [...(s.tags ?? []), ...(s.videoTags ? (video.tags ?? []) : [])]);
  const featured = s.featuredImage !== false && poster ? await posterMediaId(wp, http, ctx, video, poster) : undefined;
  // Empty lists are left out: WordPress then keeps its default category, and an update keeps an editor's terms.
  return {
    title,
    content,
    ...(categories.length ? { categories } : {}),
    ...(tags.length ? { tags } : {}),
    ...(featured !== undefined ? { featured_media: featured } : {}),
  };
}

/** Updates the post remembered for this video; false when it no longer exists. */
async function updatePost(wp: WordPressApi, postId: string, fields: PostFields): Promise<boolean> {
  // The status is left alone: an editor may have published the draft meanwhile.
  const res = await wp.call({ method: 'POST', route: `/wp/v2/posts/${postId}`, json: fields, dryRunBody: { id: Number(postId) } });
  if (res.status >= 200 && res.status < 300) return true;
  if (res.status === 404 && errorBody(res)?.code === 'rest_post_invalid_id') return false;
  throw wordPressFailure(res, `update post ${postId}`, wp.username);
}

export const wordpress: Connector<WordPressSettings> = {
  kind: 'wordpress',
  title: 'WordPress',
  category: 'cms',
  description: 'Creates a post (a draft by default) embedding each completed video, through the REST API with an application password.',
  settings,
  defaultEvents: ['video.completed'],
  limits: { concurrency: 2, perSecond: 5 },

  async deliver(event, dest, http, ctx) {
    if (event.type !== 'video.completed') {
      throw new SkipDelivery(SKIP_REASONS[event.type] ?? `the WordPress connector does not map ${event.type}`);
    }
    const video = (event.data as { video?: Video }).video;
    if (!video?.id) throw new PayloadValidationError('video.id is required');

    const wp = api(dest, http, ctx);
    const fields = await postFields(event, video, dest.settings, wp, http, ctx);
    const key = `post:${video.id}`;
    const existing = await ctx.state.get(key);
    if (existing && (await updatePost(wp, existing, fields))) return;

    const created = await wp.expect<{ id: number }>(
      { method: 'POST', route: '/wp/v2/posts', json: { ...fields, status: dest.settings.status ?? 'draft' }, dryRunStatus: 201, dryRunBody: { id: 0 } },
      'create posts',
    );
    if (!http.dryRun) await ctx.state.set(key, String(created.id));
  },

  async check(dest, http, ctx) {
    const me = await api(dest, http, ctx).expect<{ name?: string; slug?: string; roles?: string[] }>(
      { method: 'GET', route: '/wp/v2/users/me', query: { context: 'edit' }, dryRunBody: { name: dest.settings.username } },
      'read the current user',
    );
    const roles = me.roles?.length ? ` (${me.roles.join(', ')})` : '';
    return `signed in to ${dest.settings.siteUrl} as ${me.name ?? me.slug ?? dest.settings.username}${roles}`;
  },

  warnings(s) {
    const out: string[] = [];
    if (/^http:\/\//i.test(s.siteUrl) && !/^http:\/\/(localhost|127\.|\[::1\])/i.test(s.siteUrl)) {
      out.push('siteUrl is not https: the application password would cross the network in clear text, and WordPress offers application passwords only over HTTPS');
    }
    if (s.status === 'publish') out.push('status publish makes every completed video public at once');
    return out;
  },
};
