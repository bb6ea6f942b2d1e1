import { afterEach, describe, expect, it } from 'vitest';
import { wordpress, type WordPressSettings } from '../../../src/connectors/wordpress/index.js';
import { AuthError, EndpointGoneError, PayloadValidationError, PermanentError, RetryableError, SkipDelivery } from '../../../src/connectors/core/errors.js';
import type { HttpResponse } from '../../../src/connectors/core/types.js';
import type { Destination } from '../../../src/destinations/index.js';
import { TermExistsError } from '../../../src/connectors/wordpress/api.js';
import { createHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import { memoryContext } from '../../helpers/context.js';
import { startFakeWordPress, type FakeWordPress, type FakeWordPressOptions } from './fake.js';

const APP_PASSWORD = 'abcd EFGH 1234 ijkl MNOP 5678';
// Real JPEG framing bytes: anything but valid UTF-8, so a text round trip would corrupt them.
const POSTER = Buffer.concat([Buffer.from('ffd8ffe000104a46494600', 'hex'), Buffer.from([0x80, 0xfe, 0xff, 0x00, 0x9c]), Buffer.from('ffd9', 'hex')]);

let site: FakeWordPress;
afterEach(() => site?.close());

async function start(options: FakeWordPressOptions = {}): Promise<FakeWordPress> {
  site = await startFakeWordPress({
    appPassword: APP_PASSWORD,
    files: { 'vid_2xq9c7.jpg': { contentType: 'image/jpeg', body: POSTER } },
    ...options,
  });
  return site;
}

function destination(overrides: Record<string, unknown> = {}): Destination<WordPressSettings> {
  const settings = wordpress.settings.parse({ siteUrl: site.siteUrl, username: 'editor', appPassword: APP_PASSWORD, ...overrides });
  return { name: 'blog', connector: 'wordpress', events: ['video.completed'], enabled: true, source: 'project', settings };
}

function completed(video: Record<string, unknown> = {}, id?: string): Envelope {
  const data = SAMPLES['video.completed']();
  data.video = { ...(data.video as object), thumbnailUrl: `${site.origin}/cdn/vid_2xq9c7.jpg`, ...video };
  return buildEnvelope({ type: 'video.completed', data, id });
}

const MP4_CONTENT = (origin: string) =>
  `<!-- wp:video -->
<figure class="wp-block-video"><video controls poster="${origin}/cdn/vid_2xq9c7.jpg" src="https://cdn.example.com/videos/vid_2xq9c7.mp4"></video></figure>
<!-- /wp:video -->

<!-- wp:paragraph -->
<p>A 30-second teaser for the spring collection, cinematic style.</p>
<!-- /wp:paragraph -->

<!-- wp:paragraph -->
<p><em>Prompt:</em> Slow dolly shot across a sunlit studio, spring jackets on mannequins, soft film grain</p>
<!-- /wp:paragraph -->`;

describe('wordpress connector', () => {
  it('turns a finished MP4 into a draft post with a core/video block and the poster as featured image', async () => {
    await start();
    const ctx = memoryContext();
    await wordpress.deliver(completed(), destination(), createHttp(), ctx);

    expect([...site.posts.values()]).toEqual([
      {
        id: expect.any(Number),
        type: 'post',
        title: 'Product launch teaser',
        content: MP4_CONTENT(site.origin),
        status: 'draft',
        categories: [1],
        tags: [],
        featured_media: [...site.media.keys()][0],
      },
    ]);
    const upload = site.requests.find((r) => r.route === '/wp/v2/media')!;
    expect(upload.headers['content-type']).toBe('image/jpeg');
    expect(upload.headers['content-disposition']).toBe('attachment; filename="vid_2xq9c7.jpg"');
    expect(upload.body.equals(POSTER)).toBe(true);
    expect(upload.headers.authorization).toBe(`Basic ${Buffer.from(`editor:${APP_PASSWORD}`).toString('base64')}`);
  });

  it('embeds a YouTube video with a core/embed block, never an iframe', async () => {
    await start();
    const event = completed({ url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1', width: 1080, height: 1920 });
    await wordpress.deliver(event, destination({ featuredImage: false }), createHttp(), memoryContext());
    const [post] = site.posts.values();
    expect(post.content.split('\n\n')[0]).toBe(
      `<!-- wp:embed {"url":"https://www.youtube.com/watch?v=dQw4w9WgXcQ\\u0026t=1","type":"video","providerNameSlug":"youtube","responsive":true,"className":"wp-embed-aspect-9-16 wp-has-aspect-ratio"} -->
<figure class="wp-block-embed is-type-video is-provider-youtube wp-block-embed-youtube wp-embed-aspect-9-16 wp-has-aspect-ratio"><div class="wp-block-embed__wrapper">
https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=1
</div></figure>
<!-- /wp:embed -->`,
    );
    expect(post.content).not.toMatch(/<iframe/i);
    expect(post.featured_media).toBe(0);
    expect(site.media.size).toBe(0);
  });

  it('uses a Vimeo embed for Vimeo links', async () => {
    await start();
    await wordpress.deliver(completed({ url: 'https://vimeo.com/76979871' }), destination({ featuredImage: false }), createHttp(), memoryContext());
    const [post] = site.posts.values();
    expect(post.content).toContain('"providerNameSlug":"vimeo"');
    expect(post.content).toContain('is-provider-vimeo wp-block-embed-vimeo wp-embed-aspect-16-9');
  });

  it('resolves categories and tags by name and creates the missing ones once', async () => {
    await start();
    site.terms.tags.set(7, 'R&D');
    const dest = destination({ categories: 'AI Videos, Uncategorized', tags: ['r&d', 'launch'], status: 'pending', featuredImage: false });
    const ctx = memoryContext();
    await wordpress.deliver(completed(), dest, createHttp(), ctx);
    await wordpress.deliver(completed({ id: 'vid_second' }), dest, createHttp(), ctx);

    expect([...site.terms.categories.values()]).toEqual(['Uncategorized', 'AI Videos']);
    expect([...site.terms.tags.values()]).toEqual(['R&D', 'launch']);
    const posts = [...site.posts.values()];
    expect(posts).toHaveLength(2);
    const aiVideos = [...site.terms.categories].find(([, n]) => n === 'AI Videos')![0];
    const launch = [...site.terms.tags].find(([, n]) => n === 'launch')![0];
    for (const post of posts) {
      expect(post.categories).toEqual([aiVideos, 1]);
      expect(post.tags).toEqual([7, launch]);
      expect(post.status).toBe('pending');
    }
  });

  it('adds the video tags when videoTags is on', async () => {
    await start();
    await wordpress.deliver(completed(), destination({ videoTags: 'true', featuredImage: false }), createHttp(), memoryContext());
    expect([...site.terms.tags.values()]).toEqual(['launch', 'spring']);
  });

  it('falls back to ?rest_route= when pretty permalinks are off, and remembers it', async () => {
    await start({ prettyPermalinks: false });
    const ctx = memoryContext();
    await wordpress.deliver(completed(), destination(), createHttp(), ctx);
    expect(site.posts.size).toBe(1);
    expect(ctx.state.map.get('route-style')).toBe('query');
    expect(site.requests.filter((r) => r.url.startsWith('/wp-json/'))).toHaveLength(1);

    const before = site.requests.length;
    await wordpress.deliver(completed({ id: 'vid_other' }), destination(), createHttp(), ctx);
    const later = site.requests.slice(before);
    expect(later.length).toBeGreaterThan(0);
    expect(later.filter((r) => !r.url.startsWith('/cdn/')).every((r) => r.url.startsWith('/?rest_route=/wp/v2/'))).toBe(true);
  });

  it('updates the same post when the event is delivered again, keeping its status and media', async () => {
    await start();
    const ctx = memoryContext();
    const dest = destination();
    await wordpress.deliver(completed(), dest, createHttp(), ctx);
    const [post] = site.posts.values();
    post.status = 'publish';
    await wordpress.deliver(completed({ title: 'Launch teaser (final cut)' }), dest, createHttp(), ctx);

    expect(site.posts.size).toBe(1);
    expect(site.media.size).toBe(1);
    expect(post.title).toBe('Launch teaser (final cut)');
    expect(post.status).toBe('publish');
    const update = site.requests.find((r) => r.route === `/wp/v2/posts/${post.id}`)!;
    expect(JSON.parse(update.body.toString())).not.toHaveProperty('status');
  });

  it('creates a new post when the remembered one was deleted', async () => {
    await start();
    const ctx = memoryContext();
    await wordpress.deliver(completed(), destination({ featuredImage: false }), createHttp(), ctx);
    site.posts.clear();
    await wordpress.deliver(completed(), destination({ featuredImage: false }), createHttp(), ctx);
    expect(site.posts.size).toBe(1);
    expect(ctx.state.map.get('post:vid_2xq9c7')).toBe(String([...site.posts.keys()][0]));
  });

  it('escapes user text: no script or event handler reaches the post', async () => {
    await start();
    const event = completed({
      title: '<script>alert(1)</script>Teaser',
      description: '<img src=x onerror="alert(2)">',
      prompt: '" onmouseover="alert(3)',
    });
    const dest = destination({ featuredImage: false, contentTemplate: '{{ video_block }}<p>{{ video.description | raw }}</p><p title="{{ video.prompt }}">x</p>' });
    await wordpress.deliver(event, dest, createHttp(), memoryContext());
    const [post] = site.posts.values();
    expect(post.title).toBe('&lt;script&gt;alert(1)&lt;/script&gt;Teaser');
    expect(post.content).toContain('<p>&lt;img src=x onerror=&quot;alert(2)&quot;&gt;</p>');
    expect(post.content).toContain('<p title="&quot; onmouseover=&quot;alert(3)">x</p>');
    expect(post.content).not.toMatch(/<script|<img|\son\w+="/i);
  });

  it('refuses a video URL that is not http(s)', async () => {
    await start();
    const failure = wordpress.deliver(completed({ url: 'javascript:alert(1)' }), destination(), createHttp(), memoryContext());
    await expect(failure).rejects.toBeInstanceOf(PayloadValidationError);
    expect(site.posts.size).toBe(0);
  });

  it.each([
    ['<script>alert(1)</script>{{ video_block }}', /a <script> element/],
    ['<a href="#" onclick="x()">{{ video.title }}</a>', /event handler/],
    ['<a href="javascript:alert(1)">{{ video.title }}</a>', /javascript/],
    ['{{ video.titel }}', /undefined variable: video.titel/],
    ['{{ video.title | shout }}', /undefined filter: shout/],
  ])('refuses the content template %s', async (contentTemplate, reason) => {
    await start();
    const dest = { ...destination({ featuredImage: false }) };
    dest.settings = { ...dest.settings, contentTemplate };
    const error = await wordpress.deliver(completed(), dest, createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error.message).toMatch(reason);
    expect(site.posts.size).toBe(0);
  });

  it('refuses templates that reach for files when the settings are read', () => {
    const parsed = wordpress.settings.safeParse({
      siteUrl: 'https://blog.example.com',
      username: 'editor',
      appPassword: APP_PASSWORD,
      contentTemplate: '{% include "/etc/passwd" %}',
    });
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(/contentTemplate|not a valid template/);
  });

  it('renders a custom title template with event and user variables', async () => {
    await start();
    const dest = destination({ featuredImage: false, titleTemplate: '{{ video.title }} by {{ user.name }} ({{ event.timestamp | date: "%Y-%m-%d" }})' });
    await wordpress.deliver(completed({}, 'evt_title_1'), dest, createHttp(), memoryContext());
    const [post] = site.posts.values();
    expect(post.title).toMatch(/^Product launch teaser by Maya Chen \(\d{4}-\d{2}-\d{2}\)$/);
  });

  it('names a wrong application password as such: WordPress 6.1 answers it like no credentials, XML-RPC tells them apart', async () => {
    await start();
    const error = await wordpress
      .deliver(completed(), destination({ appPassword: 'wrong pass word 0000 1111 2222' }), createHttp(), memoryContext())
      .catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/refused the application password of "editor" \(rest_cannot_create on the upload of the poster .*; its XML-RPC login refused it too\)/);
    expect(error.message).not.toMatch(/strips/);
    expect(error.fix).toMatch(/create a new application password for "editor" .* set appPassword/);
  });

  it('explains a server that strips the Authorization header', async () => {
    await start({ stripsAuthorization: true });
    const error = await wordpress.deliver(completed(), destination({ featuredImage: false }), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/accepts the application password of "editor", but the REST API saw no credentials \(rest_cannot_create on the post creation\): the web server strips the Authorization header/);
    expect(error.fix).toMatch(/SetEnvIf Authorization/);
  });

  it('names both causes when XML-RPC is off and cannot tell', async () => {
    await start({ xmlrpcDisabled: true });
    const error = await wordpress.check!(destination({ appPassword: 'nope nope nope' }), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/the application password is wrong or revoked, or the web server strips the Authorization header/);
    expect(error.fix).toMatch(/set appPassword.*SetEnvIf/);
  });

  it('fails for good when the user may not publish', async () => {
    await start({ role: 'contributor' });
    const error = await wordpress
      .deliver(completed(), destination({ status: 'publish', featuredImage: false }), createHttp(), memoryContext())
      .catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error).not.toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/rest_cannot_publish/);
  });

  it.each([
    [503, { code: 'maintenance', message: 'Briefly unavailable' }, { 'retry-after': '120' }, RetryableError, 120_000],
    [429, '<html>Too many requests</html>', {}, RetryableError, undefined],
    [403, '<html>Blocked by Wordfence</html>', {}, PermanentError, undefined],
    [501, { code: 'application_passwords_disabled', message: 'Application passwords are not available.' }, {}, AuthError, undefined],
    [400, { code: 'rest_invalid_param', message: 'Invalid parameter(s): status', data: { status: 400, params: { status: 'bad' } } }, {}, PayloadValidationError, undefined],
  ])('classifies HTTP %i', async (status, body, headers, kind, afterMs) => {
    await start();
    site.failNext(10, status, body, headers);
    const error = await wordpress.deliver(completed(), destination({ featuredImage: false }), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(kind);
    if (afterMs !== undefined) expect(error.afterMs).toBe(afterMs);
  });

  it('skips the events it does not map, with a reason', async () => {
    await start();
    for (const type of ['video.generated', 'video.failed', 'user.registered', 'session.started', 'session.ended'] as const) {
      const event = buildEnvelope({ type, data: SAMPLES[type]() });
      const error = await wordpress.deliver(event, destination(), createHttp(), memoryContext()).catch((e) => e);
      expect(error).toBeInstanceOf(SkipDelivery);
      expect(error.reason.length).toBeGreaterThan(10);
    }
    expect(site.requests).toHaveLength(0);
  });

  it('never records the application password or the Basic credentials', async () => {
    await start({ prettyPermalinks: false });
    const http = createHttp();
    await wordpress.deliver(completed(), destination({ categories: ['AI'] }), http, memoryContext());
    await wordpress.check!(destination(), http, memoryContext());
    await wordpress.deliver(completed(), destination({ appPassword: 'wrong pass word 0000' }), http, memoryContext()).catch(() => undefined);
    const log = JSON.stringify(http.exchanges);
    const token = Buffer.from(`editor:${APP_PASSWORD}`).toString('base64');
    for (const secret of [APP_PASSWORD, APP_PASSWORD.replace(/ /g, ''), token, 'wrong pass word 0000']) expect(log).not.toContain(secret);
    expect(http.exchanges.length).toBeGreaterThan(5);
  });

  it('checks the credentials with users/me', async () => {
    await start();
    await expect(wordpress.check!(destination(), createHttp(), memoryContext())).resolves.toEqual({ detail: `signed in to ${site.siteUrl} as Eddie Tor (editor)`, warnings: [] });
    expect(site.requests[0].url).toBe('/wp-json/wp/v2/users/me?context=edit');
    const wrong = wordpress.check!(destination({ appPassword: 'nope nope nope' }), createHttp(), memoryContext());
    await expect(wrong).rejects.toBeInstanceOf(AuthError);
  });

  it('runs the whole flow in a dry run without sending or remembering anything', async () => {
    await start();
    const ctx = memoryContext();
    const http = createHttp({ dryRun: true });
    await wordpress.deliver(completed(), destination({ categories: ['AI'], tags: ['x'] }), http, ctx);
    expect(site.requests).toHaveLength(0);
    expect(ctx.state.map.size).toBe(0);
    expect(http.exchanges.map((e) => `${e.request.method} ${new URL(e.request.url).pathname}`)).toEqual([
      'GET /wp-json/wp/v2/categories',
      'POST /wp-json/wp/v2/categories',
      'GET /wp-json/wp/v2/tags',
      'POST /wp-json/wp/v2/tags',
      'GET /cdn/vid_2xq9c7.jpg',
      'POST /wp-json/wp/v2/media',
      'POST /wp-json/wp/v2/posts',
    ]);
  });

  it('uploads a binary poster byte for byte, and records it in the attempt log by size only', async () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
    await start({ files: { 'vid_2xq9c7.jpg': { contentType: 'image/png', body: png } } });
    const http = createHttp();
    await wordpress.deliver(completed(), destination(), http, memoryContext());
    const [post] = site.posts.values();
    expect(site.media.size).toBe(1);
    expect([...site.media.values()][0].bytes.equals(png)).toBe(true);
    expect(post.featured_media).toBe([...site.media.keys()][0]);
    const upload = http.exchanges.find((x) => x.request.url.endsWith('/wp/v2/media'))!;
    expect(upload.request.body).toBe(`[${png.length} bytes of image/png]`);
  });

  it('masks the application password in an error message that echoes it', async () => {
    await start();
    const token = Buffer.from(`editor:${APP_PASSWORD}`).toString('base64');
    const spaceless = APP_PASSWORD.replace(/ /g, '');
    site.failNext(1, 400, {
      code: 'rest_invalid_param',
      message: `Rejected ${APP_PASSWORD} / ${spaceless} / Basic ${token}`,
      data: { status: 400, params: { password: spaceless } },
    });
    const error = await wordpress.deliver(completed(), destination({ featuredImage: false, categories: ['AI'] }), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(error.message).toMatch(/rest_invalid_param/);
    for (const secret of [APP_PASSWORD, spaceless, token]) expect(error.message).not.toContain(secret);
  });

  it('shows in a dry run the update a real run would make, reading but not writing the state', async () => {
    await start();
    const ctx = memoryContext();
    await wordpress.deliver(completed(), destination(), createHttp(), ctx);
    const [postId] = site.posts.keys();
    const remembered = new Map(ctx.state.map);
    const sent = site.requests.length;

    const http = createHttp({ dryRun: true });
    await wordpress.deliver(completed({ title: 'Launch teaser (final cut)' }), destination(), http, ctx);
    expect(site.requests).toHaveLength(sent);
    const [mediaId] = site.media.keys();
    expect(http.exchanges.map((e) => `${e.request.method} ${new URL(e.request.url).pathname}`)).toEqual([
      `GET /wp-json/wp/v2/media/${mediaId}`,
      `POST /wp-json/wp/v2/posts/${postId}`,
    ]);
    expect(ctx.state.map).toEqual(remembered);
  });

  it('keeps to the remembered ?rest_route= style in a dry run', async () => {
    await start({ prettyPermalinks: false });
    const ctx = memoryContext();
    await ctx.state.set('route-style', 'query');
    const http = createHttp({ dryRun: true });
    await wordpress.deliver(completed(), destination({ categories: ['AI'] }), http, ctx);
    const rest = http.exchanges.filter((e) => !e.request.url.includes('/cdn/'));
    expect(rest.length).toBeGreaterThan(2);
    for (const e of rest) expect(e.request.url).toMatch(/\/\?rest_route=\/wp\/v2\//);
  });

  it('makes one post and one upload when two deliveries of the same video race', async () => {
    await start();
    const ctx = memoryContext();
    await Promise.all([
      wordpress.deliver(completed(), destination(), createHttp(), ctx),
      wordpress.deliver(completed({ title: 'Launch teaser (final cut)' }), destination(), createHttp(), ctx),
    ]);
    expect(site.posts.size).toBe(1);
    expect(site.media.size).toBe(1);
    expect([...site.posts.values()][0].title).toBe('Launch teaser (final cut)');
  });

  it('fetches the poster without the site credentials', async () => {
    await start();
    await wordpress.deliver(completed(), destination(), createHttp(), memoryContext());
    const download = site.requests.find((r) => r.url.startsWith('/cdn/'))!;
    expect(download.headers).not.toHaveProperty('authorization');
  });

  it('publishes without the featured image when the poster is not there, and says so naming the poster', async () => {
    await start();
    const http = createHttp();
    await wordpress.deliver(completed({ thumbnailUrl: `${site.origin}/cdn/missing.jpg` }), destination(), http, memoryContext());
    expect([...site.posts.values()].map((p) => p.featured_media)).toEqual([0]);
    expect(http.notes).toEqual([`published without the featured image: the poster download ${site.origin}/cdn/missing.jpg failed (HTTP 404)`]);
  });

  it('publishes without the featured image when WordPress refuses the poster (AVIF on 6.1)', async () => {
    await start({ files: { 'p.avif': { contentType: 'image/avif', body: POSTER } } });
    const http = createHttp();
    await wordpress.deliver(completed({ thumbnailUrl: `${site.origin}/cdn/p.avif` }), destination(), http, memoryContext());
    expect(site.posts.size).toBe(1);
    expect(http.notes[0]).toMatch(new RegExp(`^published without the featured image: WordPress refused the upload of the poster ${site.origin}/cdn/p.avif \\(rest_upload_sideload_error`));
  });

  it('still fails the delivery when the poster upload meets a wrong password', async () => {
    await start();
    const error = await wordpress.deliver(completed(), destination({ appPassword: 'wrong wrong wrong' }), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(site.posts.size).toBe(0);
  });

  it('uploads the poster again when the remembered attachment was deleted', async () => {
    await start();
    const ctx = memoryContext();
    await wordpress.deliver(completed(), destination(), createHttp(), ctx);
    site.media.clear();
    await wordpress.deliver(completed(), destination(), createHttp(), ctx);
    const [post] = site.posts.values();
    expect(site.media.has(post.featured_media)).toBe(true);
    expect(ctx.state.map.get('media:vid_2xq9c7')).toBe(String(post.featured_media));
  });

  it('creates a page when postType is page, without categories (pages have none)', async () => {
    await start();
    const ctx = memoryContext();
    await wordpress.deliver(completed(), destination({ postType: 'page', categories: ['AI'] }), createHttp(), ctx);
    const [page] = site.posts.values();
    expect(page.type).toBe('page');
    expect(site.terms.categories.size).toBe(1);
    expect(ctx.state.map.get('post:pages:vid_2xq9c7')).toBe(String(page.id));
    await wordpress.deliver(completed({ title: 'Again' }), destination({ postType: 'page' }), createHttp(), ctx);
    expect(site.posts.size).toBe(1);
    expect(page.title).toBe('Again');
  });

  it.each([
    ['an MP4 file', { url: 'https://cdn.example.com/v/clip.mp4', width: 1280, height: 720 }, '[video src="https://cdn.example.com/v/clip.mp4" poster="POSTER" width="1280" height="720"]'],
    ['a signed URL, whose extension WordPress would not see', { url: 'https://cdn.example.com/v/clip.mp4?sig=a"b' }, '<video controls preload="metadata" poster="POSTER" width="1920" height="1080" src="https://cdn.example.com/v/clip.mp4?sig=a%22b"></video>'],
    ['a YouTube link', { url: 'https://youtu.be/dQw4w9WgXcQ' }, '[embed]https://youtu.be/dQw4w9WgXcQ[/embed]'],
    ['a file URL with a bracket', { url: 'https://cdn.example.com/v/a]b.mp4' }, '[video src="https://cdn.example.com/v/a%5Db.mp4" poster="POSTER" width="1920" height="1080"]'],
  ])('writes %s as WordPress shortcode markup with format shortcodes', async (_, video, markup) => {
    await start();
    await wordpress.deliver(completed(video), destination({ format: 'shortcodes', featuredImage: false }), createHttp(), memoryContext());
    const [post] = site.posts.values();
    expect(post.content.split('\n\n')[0]).toBe(markup.replace('POSTER', `${site.origin}/cdn/vid_2xq9c7.jpg`));
    expect(post.content).not.toContain('<!-- wp:');
  });

  it('says which setting a Contributor cannot follow, before deliveries fail', async () => {
    await start({ role: 'contributor' });
    const report = await wordpress.check!(destination(), createHttp(), memoryContext());
    expect(report).toMatchObject({
      detail: expect.stringMatching(/\(contributor\)$/),
      warnings: [
        { problem: expect.stringMatching(/cannot update Posts once they are published/), fix: 'give "editor" the Author role' },
        { problem: expect.stringMatching(/may not upload media/), fix: 'give "editor" the Author role, or set featuredImage false' },
      ],
    });
    const error = await wordpress.check!(destination({ status: 'publish', categories: ['New'] }), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/status publish needs publish_posts.*; categories "New" do not exist/);
    expect(error.fix).toMatch(/Author role.*Editor role/);
  });

  it('says why a Contributor cannot update a post an editor published', async () => {
    await start({ role: 'contributor' });
    const ctx = memoryContext();
    await wordpress.deliver(completed(), destination({ featuredImage: false }), createHttp(), ctx);
    [...site.posts.values()][0].status = 'publish';
    const error = await wordpress.deliver(completed(), destination({ featuredImage: false }), createHttp(), ctx).catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toMatch(/may not edit post \d+ \(rest_cannot_edit\): a Contributor cannot change a post once it is published/);
    expect(error.fix).toMatch(/Author role/);
  });

  it('tells a wrong siteUrl from a wrong password in the check', async () => {
    await start();
    const error = await wordpress.check!(destination({ siteUrl: `${site.origin}/blog` }), createHttp(), memoryContext()).catch((e) => e);
    expect(error.message).toMatch(/no WordPress REST API answered/);
    expect(error.fix).toMatch(/^check siteUrl/);
    const gone = await startFakeWordPress();
    await gone.close();
    const refused = await wordpress.check!(destination({ siteUrl: gone.siteUrl }), createHttp(), memoryContext()).catch((e) => e);
    expect(refused.message).toMatch(/connection refused/);
    expect(refused.fix).toMatch(/make sure siteUrl .* is the address of the WordPress site and that the site is up/);
  });

  describe('classify', () => {
    const settings = () => wordpress.settings.parse({ siteUrl: 'https://blog.example.com', username: 'editor', appPassword: APP_PASSWORD });
    function answer(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      const type = typeof body === 'string' ? 'text/html' : 'application/json';
      return { status, headers: { 'content-type': type, ...headers }, body: text, bytes: Buffer.from(text), json: <T>() => JSON.parse(text) as T };
    }
    const classify = (res: HttpResponse, url: string, action = 'the step') =>
      wordpress.definition.classify!(res, { settings: settings(), request: { method: 'GET', url, action }, now: new Date() });

    it.each([
      [410, PermanentError],
      [404, PermanentError],
      [503, RetryableError],
      [429, RetryableError],
    ] as const)('reads a %i from another host as a failure of this delivery only', (status, kind) => {
      const verdict = classify(answer(status, 'nope'), 'https://cdn.example.com/poster.jpg', 'the poster download');
      expect(verdict).toBeInstanceOf(kind);
      expect(verdict).not.toBeInstanceOf(EndpointGoneError);
      expect((verdict as Error).message).toMatch(/^the poster download failed/);
    });

    it('gives the existing term id from a term_exists answer', () => {
      const verdict = classify(
        answer(400, { code: 'term_exists', message: 'A term with the name provided already exists.', data: { status: 400, term_id: 42 } }),
        'https://blog.example.com/wp-json/wp/v2/tags',
      );
      expect(verdict).toBeInstanceOf(TermExistsError);
      expect((verdict as TermExistsError).termId).toBe(42);
    });

    it('names the step that failed', () => {
      const verdict = classify(answer(503, { code: 'maintenance', message: 'Briefly unavailable' }), 'https://blog.example.com/?rest_route=/wp/v2/posts', 'the post creation');
      expect(verdict).toBeInstanceOf(RetryableError);
      expect((verdict as Error).message).toBe('WordPress could not complete the post creation (maintenance: Briefly unavailable)');
    });
  });

  it('warns about a plain-http site and immediate publishing', () => {
    const s = wordpress.settings.parse({ siteUrl: 'http://blog.example.com/', username: 'u', appPassword: 'p', status: 'publish' });
    expect(s.siteUrl).toBe('http://blog.example.com');
    expect(wordpress.warnings!(s)).toHaveLength(2);
  });
});
