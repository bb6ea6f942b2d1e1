import { execa } from 'execa';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, PermanentError } from '../../../../src/connectors/core/errors.js';
import type { TypedEvent } from '../../../../src/connectors/core/definition.js';
import type { CheckReport } from '../../../../src/connectors/core/types.js';
import type { Destination } from '../../../../src/destinations/index.js';
import { wordpress, type WordPressSettings } from '../../../../src/connectors/wordpress/index.js';
import { createHttp } from '../../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES, type Envelope } from '../../../../src/events/index.js';
import { sandbox } from '../../../helpers/cli.js';
import { memoryContext } from '../../../helpers/context.js';
import { eventually, startDaemon } from '../../../helpers/daemon.js';
import { required, startRealWordPress, unavailableBecause, type RealWordPress } from './wordpress-site.js';

// Debian's WordPress 6.1 on PHP's built-in server and MariaDB: what the fake is checked against.
const unavailable = await unavailableBecause();
if (unavailable && required()) throw new Error(`a real WordPress is required here (VIDHOOK_REAL_WORDPRESS=required) but cannot run: ${unavailable}`);
if (unavailable) console.warn(`skipping the tests against a real WordPress: ${unavailable}`);

let site: RealWordPress;
let cdn: Server;
let cdnUrl: string;
let closedPort: number;
const files: Record<string, { type: string; body: Buffer }> = {};

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function destination(overrides: Partial<Record<keyof WordPressSettings, unknown>> = {}, user: 'admin' | 'contributor' = 'admin'): Destination<WordPressSettings> {
  const settings = wordpress.settings.parse({ siteUrl: site.siteUrl, username: user, appPassword: site.users[user].appPassword, ...overrides });
  return { name: 'blog', connector: 'wordpress', events: ['video.completed'], enabled: true, source: 'project', settings };
}

let videoCount = 0;
function completed(video: Record<string, unknown> = {}): TypedEvent<'video.completed'> {
  const data = SAMPLES['video.completed']();
  const id = `vid_real_${++videoCount}`;
  data.video = { ...(data.video as object), id, title: `Real video ${videoCount}`, url: `${cdnUrl}/${id}.mp4`, thumbnailUrl: `${cdnUrl}/poster.jpg`, ...video };
  return buildEnvelope({ type: 'video.completed', data }) as TypedEvent<'video.completed'>;
}

async function deliver(event: Envelope, dest: Destination<WordPressSettings>, ctx = memoryContext()) {
  const http = createHttp();
  await wordpress.deliver(event, dest, http, ctx);
  return { http, ctx };
}

async function post(base: 'posts' | 'pages', id: string | undefined): Promise<{ id: number; status: string; link: string; featured_media: number; title: { raw: string }; content: { raw: string } }> {
  const answer = await site.rest('GET', `/wp/v2/${base}/${id}?context=edit`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

describe.skipIf(unavailable !== undefined)('the WordPress connector against a real WordPress 6.1', () => {
  beforeAll(async () => {
    const jpeg = await execa('php', ['-r', 'ob_start(); imagejpeg(imagecreatetruecolor(64, 36)); fwrite(STDOUT, ob_get_clean());'], { encoding: 'buffer' });
    files['/poster.jpg'] = { type: 'image/jpeg', body: Buffer.from(jpeg.stdout) };
    // An AVIF header is enough: WordPress 6.1 refuses the type before it looks inside.
    files['/poster.avif'] = { type: 'image/avif', body: Buffer.concat([Buffer.from('0000001c6674797061766966', 'hex'), Buffer.alloc(64)]) };
    cdn = createServer((req, res) => {
      const file = files[req.url ?? ''];
      if (file) res.writeHead(200, { 'content-type': file.type }).end(file.body);
      else if (req.url?.endsWith('.mp4')) res.writeHead(200, { 'content-type': 'video/mp4' }).end(Buffer.alloc(16));
      else res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
    });
    cdnUrl = `http://127.0.0.1:${await listen(cdn)}`;
    const closed = createServer();
    closedPort = await listen(closed);
    await new Promise((r) => closed.close(r));
    site = await startRealWordPress();
  }, 180_000);

  afterAll(async () => {
    await site?.close();
    await new Promise((r) => cdn?.close(r));
  });

  it('publishes a post with a core/video block and the poster as featured image, rendered as a video on the page', async () => {
    const event = completed();
    const { ctx, http } = await deliver(event, destination({ status: 'publish' }));
    const created = await post('posts', ctx.state.map.get(`post:${event.data.video.id}`));
    expect(created.content.raw).toContain('<!-- wp:video -->');
    expect(created.featured_media).toBeGreaterThan(0);
    expect((await site.rest('GET', `/wp/v2/media/${created.featured_media}`)).status).toBe(200);
    expect(http.notes).toEqual([]);

    const page = await site.page(`/?p=${created.id}`);
    expect(page).toMatch(new RegExp(`<figure class="wp-block-video"><video controls poster="${cdnUrl}/poster.jpg" src="${cdnUrl}/${event.data.video.id}.mp4"></video>`));
  });

  it('publishes a page with WordPress shortcodes, which the site turns into its video player', async () => {
    const event = completed({ width: 1280, height: 720 });
    const { ctx } = await deliver(event, destination({ postType: 'page', format: 'shortcodes', status: 'publish' }));
    const page = await post('pages', ctx.state.map.get(`post:pages:${event.data.video.id}`));
    expect(page.content.raw).toContain(`[video src="${cdnUrl}/${event.data.video.id}.mp4" poster="${cdnUrl}/poster.jpg" width="1280" height="720"]`);

    const html = await site.page(`/?page_id=${page.id}`);
    // The theme scales the player to its content width, keeping the ratio.
    expect(html).toMatch(new RegExp(`<video class="wp-video-shortcode" id="[^"]+" width="750" height="422" poster="${cdnUrl}/poster.jpg" preload="metadata" controls="controls"><source type="video/mp4" src="${cdnUrl}/${event.data.video.id}.mp4`));
  });

  it('writes a YouTube video as an [embed] shortcode, which the page shows (offline: as its link)', async () => {
    const event = completed({ url: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ' });
    const { ctx } = await deliver(event, destination({ format: 'shortcodes', status: 'publish', featuredImage: false }));
    const created = await post('posts', ctx.state.map.get(`post:${event.data.video.id}`));
    expect(created.content.raw).toContain('[embed]https://www.youtube.com/watch?v=dQw4w9WgXcQ[/embed]');
    expect(await site.page(`/?p=${created.id}`)).toContain('https://www.youtube.com/watch?v=dQw4w9WgXcQ');
  });

  it('updates the post on a second event for the same video', async () => {
    const event = completed();
    const dest = destination();
    const { ctx } = await deliver(event, dest);
    const again = buildEnvelope({ type: 'video.completed', data: { ...event.data, video: { ...event.data.video, title: 'Final cut' } } });
    await deliver(again, dest, ctx);
    const updated = await post('posts', ctx.state.map.get(`post:${event.data.video.id}`));
    expect(updated.title.raw).toBe('Final cut');
    const posts = await site.rest('GET', '/wp/v2/posts?status=draft&per_page=100&context=edit');
    expect((posts.body as Array<{ content: { raw: string } }>).filter((p) => p.content.raw.includes(`/${event.data.video.id}.mp4`))).toHaveLength(1);
  });

  it('uploads the poster again when the remembered attachment was deleted from the media library', async () => {
    const event = completed();
    const dest = destination();
    const { ctx } = await deliver(event, dest);
    const first = (await post('posts', ctx.state.map.get(`post:${event.data.video.id}`))).featured_media;
    expect((await site.rest('DELETE', `/wp/v2/media/${first}?force=true`)).status).toBe(200);
    await deliver(event, dest, ctx);
    const second = (await post('posts', ctx.state.map.get(`post:${event.data.video.id}`))).featured_media;
    expect(second).not.toBe(first);
    expect((await site.rest('GET', `/wp/v2/media/${second}`)).status).toBe(200);
  });

  for (const [what, thumbnailUrl, named] of [
    ['is not there (404)', () => `${cdnUrl}/gone.jpg`, /HTTP 404/],
    ['is an AVIF, which WordPress 6.1 refuses', () => `${cdnUrl}/poster.avif`, /rest_upload_sideload_error/],
    ['cannot be reached', () => `http://127.0.0.1:${closedPort}/poster.jpg`, /connection refused/],
  ] as const) {
    it(`publishes without the featured image when the poster ${what}, and says why`, async () => {
      const event = completed({ thumbnailUrl: thumbnailUrl() });
      const { ctx, http } = await deliver(event, destination());
      const created = await post('posts', ctx.state.map.get(`post:${event.data.video.id}`));
      expect(created.featured_media).toBe(0);
      expect(http.notes).toHaveLength(1);
      expect(http.notes[0]).toContain('published without the featured image');
      expect(http.notes[0]).toContain(thumbnailUrl());
      expect(http.notes[0]).toMatch(named);
    });
  }

  it('names a wrong application password as such, not as a stripped header', async () => {
    const error = await deliver(completed(), destination({ appPassword: 'abcd abcd abcd abcd abcd abcd' })).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(/refused the application password of "admin"/);
    expect(error.message).not.toMatch(/strips/);
    expect(error.fix).toMatch(/set appPassword/);
  });

  it('finds the REST API with plain permalinks, where /wp-json/ answers a GET with 301', async () => {
    await site.setPermalinks('plain');
    try {
      const event = completed();
      const { ctx, http } = await deliver(event, destination({ categories: ['Plain'] }));
      expect(http.exchanges.some((x) => x.response?.status === 301 && x.request.url.includes('/wp-json/'))).toBe(true);
      expect(ctx.state.map.get('route-style')).toBe('query');
      await post('posts', ctx.state.map.get(`post:${event.data.video.id}`));
      await expect(wordpress.check!(destination(), createHttp(), memoryContext())).resolves.toMatchObject({ detail: expect.stringMatching(/as admin \(administrator\)/) });
    } finally {
      await site.setPermalinks('pretty');
    }
  });

  it('warns before a Contributor fails for good, and says why when it does', async () => {
    const report = (await wordpress.check!(destination({}, 'contributor'), createHttp(), memoryContext())) as CheckReport;
    expect(report.detail).toMatch(/as contributor \(contributor\)/);
    expect(report.warnings?.map((w) => w.problem).join('\n')).toMatch(/cannot update Posts once they are published[\s\S]*may not upload media/);

    const publishing = await wordpress.check!(destination({ status: 'publish', categories: ['Brand new category'] }, 'contributor'), createHttp(), memoryContext()).catch((e) => e);
    expect(publishing).toBeInstanceOf(PermanentError);
    expect(publishing.message).toMatch(/status publish needs publish_posts[\s\S]*"Brand new category" do not exist/);
    expect(publishing.fix).toMatch(/Author role[\s\S]*Editor role/);

    const event = completed();
    const dest = destination({ featuredImage: false }, 'contributor');
    const { ctx } = await deliver(event, dest);
    const id = ctx.state.map.get(`post:${event.data.video.id}`);
    expect((await site.rest('POST', `/wp/v2/posts/${id}`, { status: 'publish' })).status).toBe(200);
    const refused = await deliver(event, dest, ctx).catch((e) => e);
    expect(refused).toBeInstanceOf(PermanentError);
    expect(refused.message).toMatch(/may not edit post \d+ \(rest_cannot_edit\): a Contributor cannot change a post once it is published/);
  });

  it('makes one post when the daemon gets two events for one video at once', async () => {
    const box = sandbox();
    try {
      box.writeConfig(
        [
          'destinations:',
          '  blog:',
          '    connector: wordpress',
          `    siteUrl: ${site.siteUrl}`,
          '    username: admin',
          `    appPassword: "${site.users.admin.appPassword}"`,
          '',
        ].join('\n'),
      );
      const daemon = await startDaemon(box);
      try {
        const first = completed();
        const second = buildEnvelope({ type: 'video.completed', data: { ...first.data, video: { ...first.data.video, title: 'Same video, again' } } });
        const accepted = await daemon.request('POST', '/api/events', { events: [first, second] });
        expect(accepted.status).toBe(202);
        await eventually(async () => {
          const events = await Promise.all([first.id, second.id].map((id) => daemon.request('GET', `/api/events/${id}`)));
          return events.every((e) => e.body.deliveries?.[0]?.state === 'succeeded');
        }, 60_000);
        const posts = await site.rest('GET', `/wp/v2/posts?status=draft&per_page=100&context=edit`);
        const forVideo = (posts.body as Array<{ content: { raw: string } }>).filter((p) => p.content.raw.includes(`/${first.data.video.id}.mp4`));
        expect(forVideo).toHaveLength(1);
      } finally {
        await daemon.stop();
      }
    } finally {
      box.cleanup();
    }
  });
});
