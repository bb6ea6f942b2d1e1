import { z } from 'zod';
import { defineConnector, described, httpUrl, PayloadValidationError, secret, type Call, type TypedEvent } from '../core/index.js';
import { renderTemplate, templateProblem, templateVariables, unsafeMarkup, TemplateError } from '../templates.js';
import { classifyVideoUrl, httpUrlOrUndefined } from '../video-links.js';
import { basicCredentials, classifyAnswer, PostGoneError, rest, restBase, restJson } from './api.js';
import { videoBlock } from './blocks.js';
import { posterMediaId } from './poster.js';
import { checkSite } from './check.js';
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

/** The default body for `format: shortcodes`: the classic editor adds the paragraphs itself. */
export const DEFAULT_CLASSIC_CONTENT_TEMPLATE = `{{ video_block }}
{%- if video.description %}

{{ video.description }}
{%- endif %}
{%- if video.prompt %}

<em>Prompt:</em> {{ video.prompt }}
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
  postType: described(
    z
      .string()
      .trim()
      .regex(/^[a-z0-9_-]+$/i, { message: 'must be post, page, or the REST base of a post type (letters, digits, - and _), e.g. videos' })
      .optional(),
    'What to create: post (default), page, or any post type the REST API offers, by its REST base (e.g. videos for /wp/v2/videos).',
  ),
  format: described(
    z.enum(['blocks', 'shortcodes']).optional(),
    'How the video is written: blocks (default; the block editor) or shortcodes ([video]/[embed], for sites on the classic editor).',
  ),
  status: described(z.enum(['draft', 'pending', 'private', 'publish']).optional(), 'Status of new posts (default draft).'),
  categories: described(nameList(), 'Category names for the posts; missing ones are created.'),
  tags: described(nameList(), 'Tag names for the posts; missing ones are created.'),
  videoTags: described(flag(), "Also tag posts with the video's own tags (default false)."),
  featuredImage: described(
    flag(),
    'Upload the poster (video.thumbnailUrl) as featured image (default true); a poster that cannot be used is left out and the attempt says why.',
  ),
  titleTemplate: described(template(), `Liquid template of the post title (default ${DEFAULT_TITLE_TEMPLATE}).`),
  contentTemplate: described(template(), 'Liquid template of the post body; {{ video_block }} places the video (a block, or a shortcode with format shortcodes).'),
});

export type WordPressSettings = z.output<typeof settings>;

type WordPressCall = Call<WordPressSettings>;

/** Where the post made for a video is remembered; posts keep the key they always had. */
function postKey(base: string, videoId: string): string {
  return base === 'posts' ? `post:${videoId}` : `post:${base}:${videoId}`;
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

async function postFields(event: TypedEvent<'video.completed'>, call: WordPressCall): Promise<PostFields> {
  const { video } = event.data;
  const s = call.settings;
  const link = classifyVideoUrl(video.url);
  if (!link) throw new PayloadValidationError('video.url must be an http(s) URL');
  const poster = httpUrlOrUndefined(video.thumbnailUrl);
  const block = videoBlock(link, { poster, width: video.width, height: video.height, format: s.format });
  const variables = templateVariables(event, { video_block: block });

  const title = (await render(s.titleTemplate ?? DEFAULT_TITLE_TEMPLATE, variables, 'titleTemplate')).replace(/\s+/g, ' ').trim();
  if (!title) throw new PayloadValidationError('titleTemplate renders an empty title');
  const defaultContent = s.format === 'shortcodes' ? DEFAULT_CLASSIC_CONTENT_TEMPLATE : DEFAULT_CONTENT_TEMPLATE;
  const content = await render(s.contentTemplate ?? defaultContent, variables, 'contentTemplate');

  // Core pages have neither categories nor tags; WordPress would drop them silently.
  const terms = restBase(s.postType) !== 'pages';
  const categories = terms ? await termIds(call, 'categories', s.categories ?? []) : [];
  const tags = terms ? await termIds(call, 'tags', [...(s.tags ?? []), ...(s.videoTags ? (video.tags ?? []) : [])]) : [];
  const featured = s.featuredImage !== false && poster ? await posterMediaId(call, video, poster) : undefined;
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
async function updatePost(call: WordPressCall, base: string, postId: string, fields: PostFields): Promise<boolean> {
  try {
    // The status is left alone: an editor may have published the draft meanwhile.
    await rest(call, { method: 'POST', route: `/wp/v2/${base}/${postId}`, json: fields, action: `the update of ${base === 'posts' ? 'post' : `${base} item`} ${postId}` });
    return true;
  } catch (err) {
    if (err instanceof PostGoneError) return false;
    throw err;
  }
}

/**
 * One post per video: created once, updated by later deliveries of the same video. The caller
 * holds the video's lock, so the id read here is the one an earlier delivery remembered.
 */
async function publishVideo(event: TypedEvent<'video.completed'>, call: WordPressCall): Promise<void> {
  const base = restBase(call.settings.postType);
  const key = postKey(base, event.data.video.id);
  const fields = await postFields(event, call);
  const existing = await call.state.get(key);
  if (existing && (await updatePost(call, base, existing, fields))) return;

  const created = await restJson<{ id: number }>(call, {
    method: 'POST',
    route: `/wp/v2/${base}`,
    json: { ...fields, status: call.settings.status ?? 'draft' },
    action: base === 'posts' ? 'the post creation' : `the creation of the ${base} item`,
  });
  await call.state.set(key, String(created.id));
}

const NOT_POSTS = 'session events do not become WordPress posts';

export const wordpress = defineConnector<WordPressSettings>({
  kind: 'wordpress',
  title: 'WordPress',
  category: 'cms',
  description: 'Creates a post or page (a draft by default) embedding each completed video, as blocks or classic shortcodes, through the REST API with an application password.',
  settings,
  defaultEvents: ['video.completed'],
  limits: { concurrency: 2, perSecond: 5 },
  // WordPress accepts the password with or without its spaces; the Basic value carries it too.
  secrets: (s) => [s.appPassword.replace(/\s+/g, ''), basicCredentials(s)],
  authorize: { headers: (s) => ({ authorization: `Basic ${basicCredentials(s)}` }) },
  classify: classifyAnswer,

  handlers: {
    // Two deliveries of one video (a retry racing a resend, two events at once) must not both create
    // a post or upload the poster: the second waits and then finds the id the first remembered.
    'video.completed': (event, call) => call.serialized(`video:${event.data.video.id}`, () => publishVideo(event, call)),
  },
  skipped: {
    'video.generated': 'WordPress posts are created when the video is completed',
    'video.failed': 'a failed video has nothing to post',
    'user.registered': 'user events do not become WordPress posts',
    'session.started': NOT_POSTS,
    'session.ended': NOT_POSTS,
  },

  check: (call) => checkSite(call),

  warnings(s) {
    const out: string[] = [];
    if (/^http:\/\//i.test(s.siteUrl) && !/^http:\/\/(localhost|127\.|\[::1\])/i.test(s.siteUrl)) {
      out.push('siteUrl is not https: the application password would cross the network in clear text, and WordPress offers application passwords only over HTTPS');
    }
    if (s.status === 'publish') out.push('status publish makes every completed video public at once');
    return out;
  },
});
