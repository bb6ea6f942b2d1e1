import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shopify, productGid, type ShopifySettings } from '../../../src/connectors/shopify/index.js';
import { forgetAllSessions } from '../../../src/connectors/core/sessions.js';
import { throttleDelayMs } from '../../../src/connectors/shopify/graphql.js';
import { AuthError, PayloadValidationError, PermanentError, RetryableError, SkipDelivery } from '../../../src/connectors/core/errors.js';
import type { Destination } from '../../../src/destinations/index.js';
import { createHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import { memoryContext } from '../../helpers/context.js';
import { startReceiver } from '../../helpers/receiver.js';
import { startFakeShopify, type FakeShopify, type FakeShopifyOptions } from './fake.js';

const TOKEN = 'shpat_0123456789abcdef0123456789abcdef';
const CLIENT_SECRET = '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';
// MP4 framing with bytes that are not valid UTF-8, so a text round trip would corrupt them.
const MP4 = Buffer.concat([Buffer.from('00000018667479706d703432', 'hex'), Buffer.from([0x80, 0xff, 0xfe, 0x00]), Buffer.from('frame-data-'.repeat(40))]);

let shop: FakeShopify;
beforeEach(() => forgetAllSessions());
afterEach(() => shop?.close());

async function start(options: FakeShopifyOptions = {}): Promise<FakeShopify> {
  shop = await startFakeShopify({
    accessToken: TOKEN,
    clientId: 'client-123',
    clientSecret: CLIENT_SECRET,
    files: { 'vid_2xq9c7.mp4': { contentType: 'video/mp4', body: MP4 } },
    ...options,
  });
  return shop;
}

function destination(overrides: Record<string, unknown> = { accessToken: TOKEN }): Destination<ShopifySettings> {
  const settings = shopify.settings.parse({ shop: 'northwind', baseUrl: shop.origin, ...overrides });
  return { name: 'store', connector: 'shopify', events: shopify.defaultEvents, enabled: true, source: 'project', settings };
}

function event(type: 'video.completed' | 'video.failed' | 'video.generated', video: Record<string, unknown> = {}): Envelope {
  const data = SAMPLES[type]();
  const base = type === 'video.completed' ? { url: `${shop.origin}/cdn/vid_2xq9c7.mp4` } : {};
  data.video = { ...(data.video as object), productId: 'gid://shopify/Product/1001', ...base, ...video };
  return buildEnvelope({ type, data, id: 'evt_01JDX8ABCDEF' });
}

const operations = () => shop.calls.map((c) => /(?:mutation|query)\s+(\w+)/.exec(c.query)?.[1]);
const product = () => shop.products.get('gid://shopify/Product/1001')!;

describe('shopify connector', () => {
  it('stages a finished MP4, attaches it to the product and sets the metafields', async () => {
    await start();
    await shopify.deliver(event('video.completed'), destination(), createHttp(), memoryContext());

    expect(operations()).toEqual(['VidhookStagedUpload', 'VidhookAttachVideo', 'VidhookMetafields']);
    expect(shop.calls.every((c) => c.version === '2026-07' && c.token === TOKEN)).toBe(true);
    expect(shop.calls[0].variables).toEqual({
      input: [{ filename: 'vid_2xq9c7.mp4', mimeType: 'video/mp4', resource: 'VIDEO', fileSize: String(MP4.length), httpMethod: 'POST' }],
    });
    const [target] = shop.staged.values();
    expect(target.uploaded?.equals(MP4)).toBe(true);
    expect(target.uploadedType).toBe('video/mp4');
    expect(shop.calls[1].variables).toEqual({
      product: { id: 'gid://shopify/Product/1001' },
      media: [{ originalSource: `${shop.origin}/staged-resource/${[...shop.staged.keys()][0]}`, mediaContentType: 'VIDEO', alt: 'Product launch teaser' }],
    });
    expect(product().media).toHaveLength(1);
    expect(product().media[0].mediaContentType).toBe('VIDEO');
    expect(Object.fromEntries(product().metafields)).toEqual({
      'vidhook.video_id': { type: 'single_line_text_field', value: 'vid_2xq9c7' },
      'vidhook.status': { type: 'single_line_text_field', value: 'ready' },
      'vidhook.video_url': { type: 'url', value: `${shop.origin}/cdn/vid_2xq9c7.mp4` },
      'vidhook.generated_at': { type: 'date_time', value: '2026-11-27T19:40:00Z' },
      'vidhook.prompt': { type: 'multi_line_text_field', value: 'Slow dolly shot across a sunlit studio, spring jackets on mannequins, soft film grain' },
    });
  });

  it('attaches a YouTube video as EXTERNAL_VIDEO without uploading anything', async () => {
    await start();
    const url = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ';
    await shopify.deliver(event('video.completed', { url }), destination({ accessToken: TOKEN, namespace: 'ai_video' }), createHttp(), memoryContext());

    expect(operations()).toEqual(['VidhookAttachVideo', 'VidhookMetafields']);
    expect(shop.calls[0].variables.media).toEqual([{ originalSource: url, mediaContentType: 'EXTERNAL_VIDEO', alt: 'Product launch teaser' }]);
    expect(shop.calls[0].query).toMatch(/productUpdate\(product: \$product, media: \$media\)/);
    expect(shop.calls.some((c) => /productCreateMedia|productUpdateMedia/.test(c.query))).toBe(false);
    expect(product().media).toEqual([expect.objectContaining({ mediaContentType: 'EXTERNAL_VIDEO', originalSource: url })]);
    expect(product().metafields.get('ai_video.video_url')).toEqual({ type: 'url', value: url });
    expect(shop.uploadRequests).toHaveLength(0);
  });

  it('waits out a THROTTLED answer for as long as the bucket needs, then succeeds', async () => {
    await start();
    const ctx = memoryContext();
    const dest = destination();
    shop.throttleNext(1, 2);
    const error = await shopify.deliver(event('video.completed', { url: 'https://vimeo.com/76979871' }), dest, createHttp(), ctx).catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.afterMs).toBe(80); // (10 requested − 2 available) / 100 per second
    expect(error.rateLimited).toBe(true);
    expect(error.message).toMatch(/throttled/);
    expect(product().media).toHaveLength(0);

    await shopify.deliver(event('video.completed', { url: 'https://vimeo.com/76979871' }), dest, createHttp(), ctx);
    expect(product().media).toHaveLength(1);
    expect(product().metafields.get('vidhook.status')?.value).toBe('ready');
  });

  it('does not upload again when the product update after a staged upload is throttled', async () => {
    await start();
    const ctx = memoryContext();
    shop.throttleNext(1, 0, /productUpdate/);
    await expect(shopify.deliver(event('video.completed'), destination(), createHttp(), ctx)).rejects.toBeInstanceOf(RetryableError);
    await shopify.deliver(event('video.completed'), destination(), createHttp(), ctx);
    expect(shop.uploadRequests).toHaveLength(1);
    expect(product().media).toHaveLength(1);
    expect(operations().filter((o) => o === 'VidhookStagedUpload')).toHaveLength(1);
  });

  it('does not attach the same video twice when the event repeats', async () => {
    await start();
    const ctx = memoryContext();
    shop.throttleNext(1, 5, /metafieldsSet/);
    await expect(shopify.deliver(event('video.completed'), destination(), createHttp(), ctx)).rejects.toBeInstanceOf(RetryableError);
    await shopify.deliver(event('video.completed'), destination(), createHttp(), ctx);
    await shopify.deliver(event('video.completed'), destination(), createHttp(), ctx);
    expect(product().media).toHaveLength(1);
    expect(shop.uploadRequests).toHaveLength(1);
    expect(ctx.state.map.get('media:gid://shopify/Product/1001:vid_2xq9c7')).toBe(product().media[0].id);
  });

  it('marks a failed video in the status metafield', async () => {
    await start();
    await shopify.deliver(event('video.failed'), destination(), createHttp(), memoryContext());
    expect(operations()).toEqual(['VidhookMetafields']);
    expect(product().metafields.get('vidhook.status')).toEqual({ type: 'single_line_text_field', value: 'failed' });
    expect(product().metafields.get('vidhook.error')?.value).toBe('The prompt was flagged by the content policy filter.');
    expect(product().media).toHaveLength(0);
  });

  it('skips a video without productId, and the events it does not map, with a reason', async () => {
    await start();
    const data = SAMPLES['video.completed']();
    const noProduct = await shopify.deliver(buildEnvelope({ type: 'video.completed', data }), destination(), createHttp(), memoryContext()).catch((e) => e);
    expect(noProduct).toBeInstanceOf(SkipDelivery);
    expect(noProduct.reason).toMatch(/productId/);
    for (const type of ['user.registered', 'session.started', 'session.ended'] as const) {
      const skipped = await shopify.deliver(buildEnvelope({ type, data: SAMPLES[type]() }), destination(), createHttp(), memoryContext()).catch((e) => e);
      expect(skipped).toBeInstanceOf(SkipDelivery);
    }
    expect(shop.calls).toHaveLength(0);
  });

  it('accepts a numeric product id and refuses anything else', async () => {
    expect(productGid('1001')).toBe('gid://shopify/Product/1001');
    expect(() => productGid('gid://shopify/Collection/1')).toThrow(PayloadValidationError);
  });

  it('fails for good on userErrors, naming the field', async () => {
    await start();
    const error = await shopify
      .deliver(event('video.completed', { url: 'https://youtu.be/dQw4w9WgXcQ', productId: '999' }), destination(), createHttp(), memoryContext())
      .catch((e) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect(error.message).toBe('Shopify productUpdate failed: product.id: Product does not exist');
  });

  it('mints a client-credentials token once, and again when Shopify no longer takes it', async () => {
    await start();
    const dest = destination({ clientId: 'client-123', clientSecret: CLIENT_SECRET });
    const ctx = memoryContext();
    await shopify.deliver(event('video.failed'), dest, createHttp(), ctx);
    await shopify.deliver(event('video.failed'), dest, createHttp(), ctx);
    expect(shop.tokenRequests).toEqual([{ grant_type: 'client_credentials', client_id: 'client-123', client_secret: CLIENT_SECRET }]);

    shop.expireTokens();
    await shopify.deliver(event('video.failed'), dest, createHttp(), ctx);
    expect(shop.tokenRequests).toHaveLength(2);
    expect(shop.calls.at(-1)!.token).not.toBe(shop.calls[0].token);
  });

  it('renews a client-credentials token that is past its lifetime', async () => {
    await start();
    let now = new Date('2026-11-27T10:00:00Z');
    const ctx = memoryContext(() => now);
    const dest = destination({ clientId: 'client-123', clientSecret: CLIENT_SECRET });
    await shopify.deliver(event('video.failed'), dest, createHttp(), ctx);
    now = new Date('2026-11-28T09:59:00Z');
    await shopify.deliver(event('video.failed'), dest, createHttp(), ctx);
    expect(shop.tokenRequests).toHaveLength(2);
  });

  it.each([
    [{ clientId: 'client-123', clientSecret: 'shpss_wrong_wrong_wrong' }, /invalid_client/],
    [{ accessToken: 'shpat_not_a_real_token_000000' }, /refused the access token/],
  ])('gives an AuthError for refused credentials %#', async (credentials, message) => {
    await start();
    const error = await shopify.deliver(event('video.failed'), destination(credentials), createHttp(), memoryContext()).catch((e) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error.message).toMatch(message);
  });

  it('never records the access token, the client secret or a minted token', async () => {
    await start();
    const http = createHttp();
    await shopify.deliver(event('video.completed'), destination(), http, memoryContext());
    await shopify.deliver(event('video.completed'), destination({ clientId: 'client-123', clientSecret: CLIENT_SECRET }), http, memoryContext());
    await shopify.check!(destination(), http, memoryContext());
    const minted = shop.calls.map((c) => c.token).filter((t) => t !== TOKEN);
    expect(minted.length).toBeGreaterThan(0);
    const log = JSON.stringify(http.exchanges);
    for (const secret of [TOKEN, CLIENT_SECRET, encodeURIComponent(CLIENT_SECRET), ...minted]) expect(log).not.toContain(secret);
    expect(log).toContain('client_secret=shpss_…3210');
  });

  it('masks the minted token inside the recorded token answer too', async () => {
    await start();
    const http = createHttp();
    await shopify.deliver(event('video.failed'), destination({ clientId: 'client-123', clientSecret: CLIENT_SECRET }), http, memoryContext());
    expect(JSON.stringify(http.exchanges)).not.toContain(shop.calls[0].token);
  });

  it('checks the connection with a shop query and reports a version that fell forward', async () => {
    await start({ supportedVersions: ['2026-04', '2026-07'] });
    await expect(shopify.check!(destination(), createHttp(), memoryContext())).resolves.toBe('connected to the shop "Northwind Outfitters" (API 2026-07)');
    const old = await shopify.check!(destination({ accessToken: TOKEN, apiVersion: '2025-01' }), createHttp(), memoryContext());
    expect(old).toMatch(/API 2026-04, not the 2025-01 asked for/);
    expect(shop.calls[0].query).toMatch(/shop \{ name \}/);
  });

  it('runs the whole flow in a dry run without sending or remembering anything', async () => {
    await start();
    const ctx = memoryContext();
    const http = createHttp({ dryRun: true });
    await shopify.deliver(event('video.completed'), destination({ clientId: 'client-123', clientSecret: CLIENT_SECRET }), http, ctx);
    expect(shop.calls).toHaveLength(0);
    expect(shop.tokenRequests).toHaveLength(0);
    expect(ctx.state.map.size).toBe(0);
    expect(http.exchanges.map((e) => new URL(e.request.url).pathname)).toEqual([
      '/cdn/vid_2xq9c7.mp4',
      '/admin/oauth/access_token',
      '/admin/api/2026-07/graphql.json',
      '/',
      '/admin/api/2026-07/graphql.json',
      '/admin/api/2026-07/graphql.json',
    ]);
  });

  it.each([
    [503, { 'retry-after': '3' }, RetryableError, 3000],
    [429, {}, RetryableError, 1000],
    [402, {}, PermanentError, undefined],
    [423, {}, PermanentError, undefined],
    [404, {}, PermanentError, undefined],
  ])('classifies HTTP %i from the Admin API', async (status, headers, kind, afterMs) => {
    await start();
    const proxy = await startReceiver(() => ({ status, headers, body: { errors: 'Unavailable' } }));
    try {
      const dest = destination();
      dest.settings = { ...dest.settings, baseUrl: proxy.origin };
      const error = await shopify.deliver(event('video.failed'), dest, createHttp(), memoryContext()).catch((e) => e);
      expect(error).toBeInstanceOf(kind);
      if (afterMs !== undefined) expect(error.afterMs).toBe(afterMs);
    } finally {
      await proxy.close();
    }
  });

  it('computes the throttle delay from cost and restore rate', () => {
    expect(throttleDelayMs(502, { currentlyAvailable: 2, restoreRate: 100, maximumAvailable: 2000 })).toBe(5000);
    expect(throttleDelayMs(10, { currentlyAvailable: 50, restoreRate: 100 })).toBe(1000);
    expect(throttleDelayMs(undefined, undefined)).toBe(1000);
  });

  it('reads the shop and its credentials from settings', () => {
    const s = shopify.settings.parse({ shop: 'https://Northwind.myshopify.com/', accessToken: 'x' });
    expect(s.shop).toBe('northwind.myshopify.com');
    expect(shopify.settings.safeParse({ shop: 'northwind' }).success).toBe(false);
    expect(shopify.settings.safeParse({ shop: 'shop.example.com', accessToken: 'x' }).success).toBe(false);
    expect(shopify.warnings!(shopify.settings.parse({ shop: 'a1', accessToken: 'x', clientId: 'y' }))).toHaveLength(1);
  });
});

describe('shopify connector on the definition engine', () => {
  it('mints one client-credentials token for concurrent deliveries', async () => {
    await start();
    const dest = destination({ clientId: 'client-123', clientSecret: CLIENT_SECRET });
    const ctx = memoryContext();
    await Promise.all(Array.from({ length: 5 }, () => shopify.deliver(event('video.failed'), dest, createHttp(), ctx)));
    expect(shop.tokenRequests).toHaveLength(1);
    expect(shop.calls).toHaveLength(5);
    expect(new Set(shop.calls.map((c) => c.token)).size).toBe(1);
  });

  it('sends a refused static token once: there is nothing to renew', async () => {
    const proxy = await startReceiver(() => ({ status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } }));
    try {
      const settings = shopify.settings.parse({ shop: 'northwind', baseUrl: proxy.origin, accessToken: TOKEN });
      const dest: Destination<ShopifySettings> = { name: 'store', connector: 'shopify', events: shopify.defaultEvents, enabled: true, source: 'project', settings };
      const error = await shopify.deliver(event('video.failed'), dest, createHttp(), memoryContext()).catch((e) => e);
      expect(error).toBeInstanceOf(AuthError);
      expect(proxy.requests).toHaveLength(1);
    } finally {
      await proxy.close();
    }
  });

  it.each([
    ['the Admin API echoes the access token', { accessToken: TOKEN }, TOKEN],
    ['the token endpoint echoes the client secret', { clientId: 'client-123', clientSecret: CLIENT_SECRET }, CLIENT_SECRET],
  ])('masks a secret in the error message when %s', async (_, credentials, secretValue) => {
    const proxy = await startReceiver((req) =>
      req.url.endsWith('/access_token')
        ? { status: 400, body: { error: 'invalid_client', error_description: `client_secret ${CLIENT_SECRET} is not known` } }
        : { status: 403, body: { errors: [{ message: `token ${TOKEN} lacks write_products`, extensions: { code: 'ACCESS_DENIED' } }] } },
    );
    try {
      const settings = shopify.settings.parse({ shop: 'northwind', baseUrl: proxy.origin, ...credentials });
      const dest: Destination<ShopifySettings> = { name: 'store', connector: 'shopify', events: shopify.defaultEvents, enabled: true, source: 'project', settings };
      const error = await shopify.deliver(event('video.failed'), dest, createHttp(), memoryContext()).catch((e) => e);
      expect(error).toBeInstanceOf(PermanentError);
      expect(error.message).toMatch(/lacks write_products|is not known/);
      expect(error.message).not.toContain(secretValue);
    } finally {
      await proxy.close();
    }
  });

  it('sends neither the download nor the staged upload with the access token', async () => {
    await start();
    const http = createHttp();
    await shopify.deliver(event('video.completed'), destination(), http, memoryContext());
    const foreign = http.exchanges.filter((e) => !new URL(e.request.url).pathname.startsWith('/admin/'));
    expect(foreign.map((e) => new URL(e.request.url).pathname)).toEqual(['/cdn/vid_2xq9c7.mp4', expect.stringMatching(/^\/staged-target\//)]);
    for (const e of foreign) expect(Object.keys(e.request.headers).map((h) => h.toLowerCase())).not.toContain('x-shopify-access-token');
  });

  it('attaches a video once when two deliveries of it run at the same time', async () => {
    await start();
    const ctx = memoryContext();
    await Promise.all([
      shopify.deliver(event('video.completed'), destination(), createHttp(), ctx),
      shopify.deliver(event('video.completed'), destination(), createHttp(), ctx),
    ]);
    expect(product().media).toHaveLength(1);
    expect(shop.uploadRequests).toHaveLength(1);
  });

  it('uploads afresh when Shopify no longer takes a remembered staged upload', async () => {
    await start();
    const ctx = memoryContext();
    const stagedKey = 'staged:gid://shopify/Product/1001:vid_2xq9c7';
    await ctx.state.set(stagedKey, `${shop.origin}/staged-resource/404`);
    const error = await shopify.deliver(event('video.completed'), destination(), createHttp(), ctx).catch((e) => e);
    expect(error).toBeInstanceOf(RetryableError);
    expect(error.message).toMatch(/no longer usable.*originalSource/);
    expect(ctx.state.map.has(stagedKey)).toBe(false);

    await shopify.deliver(event('video.completed'), destination(), createHttp(), ctx);
    expect(shop.uploadRequests).toHaveLength(1);
    expect(product().media).toHaveLength(1);
  });

  it('shows in a dry run what the remembered state makes the real run do, and changes no state', async () => {
    await start();
    const ctx = memoryContext();
    await ctx.state.set('media:gid://shopify/Product/1001:vid_2xq9c7', 'gid://shopify/Video/7');
    const http = createHttp({ dryRun: true });
    await shopify.deliver(event('video.completed'), destination(), http, ctx);
    // The video is attached already: only the metafields are set again.
    expect(http.exchanges.map((e) => JSON.parse(e.request.body ?? '{}').query?.match(/mutation (\w+)/)?.[1])).toEqual(['VidhookMetafields']);
    expect([...ctx.state.map]).toEqual([['media:gid://shopify/Product/1001:vid_2xq9c7', 'gid://shopify/Video/7']]);
  });

  it('reuses a remembered staged upload in a dry run without downloading or remembering anything', async () => {
    await start();
    const ctx = memoryContext();
    const stagedKey = 'staged:gid://shopify/Product/1001:vid_2xq9c7';
    await ctx.state.set(stagedKey, `${shop.origin}/staged-resource/9`);
    const http = createHttp({ dryRun: true });
    await shopify.deliver(event('video.completed'), destination(), http, ctx);
    expect(http.exchanges.map((e) => new URL(e.request.url).pathname)).toEqual(['/admin/api/2026-07/graphql.json', '/admin/api/2026-07/graphql.json']);
    expect(JSON.parse(http.exchanges[0].request.body ?? '{}').variables.media[0].originalSource).toBe(`${shop.origin}/staged-resource/9`);
    expect([...ctx.state.map.keys()]).toEqual([stagedKey]);
  });
});
