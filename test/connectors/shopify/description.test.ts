import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { shopify, type ShopifySettings } from '../../../src/connectors/shopify/index.js';
import { forgetAllSessions } from '../../../src/connectors/core/sessions.js';
import { RetryableError } from '../../../src/connectors/core/errors.js';
import type { Destination } from '../../../src/destinations/index.js';
import { resolveDestination } from '../../../src/config/destinations.js';
import { createHttp } from '../../../src/delivery/http.js';
import { buildEnvelope, SAMPLES, type Envelope } from '../../../src/events/index.js';
import { memoryContext } from '../../helpers/context.js';
import { startFakeShopify, type FakeShopify } from './fake.js';

const TOKEN = 'shpat_0123456789abcdef0123456789abcdef';
const CLIENT_SECRET = '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';
const PRODUCT = 'gid://shopify/Product/1001';
const ORIGINAL = '<p>Spring jacket, <strong>water-resistant</strong>.</p>';
const YOUTUBE = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ';

let shop: FakeShopify;
beforeEach(async () => {
  forgetAllSessions();
  shop = await startFakeShopify({ accessToken: TOKEN, clientId: 'client-123', clientSecret: CLIENT_SECRET, descriptions: { 1001: ORIGINAL } });
});
afterEach(() => shop.close());

function destination(overrides: Record<string, unknown>): Destination<ShopifySettings> {
  const settings = shopify.settings.parse({ shop: 'northwind', baseUrl: shop.origin, accessToken: TOKEN, ...overrides });
  return { name: 'store', connector: 'shopify', events: shopify.defaultEvents, enabled: true, source: 'project', settings };
}

function completed(video: Record<string, unknown> = {}, id = 'evt_01JDX8ABCDEF'): Envelope {
  const data = SAMPLES['video.completed']();
  data.video = { ...(data.video as object), productId: PRODUCT, url: YOUTUBE, description: undefined, ...video };
  return buildEnvelope({ type: 'video.completed', data, id });
}

const section = (id: string, title: string, url = YOUTUBE, description?: string) =>
  `<!-- vidhook:video:${id} -->\n<div class="vidhook-video" data-video-id="${id}">\n<h3>${title}</h3>\n${description ? `<p>${description}</p>\n` : ''}<p><a href="${url}">Watch the video</a></p>\n</div>\n<!-- /vidhook -->`;
const description = () => shop.products.get(PRODUCT)!.descriptionHtml;
const operations = () => shop.calls.map((c) => /(?:mutation|query)\s+(\w+)/.exec(c.query)?.[1]);

describe('shopify product descriptions', () => {
  it('leaves the description alone by default', async () => {
    await shopify.deliver(completed(), destination({}), createHttp(), memoryContext());
    expect(operations()).toEqual(['VidhookAttachVideo', 'VidhookMetafields']);
    expect(description()).toBe(ORIGINAL);
  });

  it('appends the video section after the existing content, and updates it in place on a later event', async () => {
    const ctx = memoryContext();
    await shopify.deliver(completed(), destination({ productDescription: 'append' }), createHttp(), ctx);
    expect(operations()).toEqual(['VidhookAttachVideo', 'VidhookProductDescription', 'VidhookDescription', 'VidhookMetafields']);
    expect(shop.calls[2].variables).toEqual({ product: { id: PRODUCT, descriptionHtml: `${ORIGINAL}\n${section('vid_2xq9c7', 'Product launch teaser')}` } });
    expect(description()).toBe(`${ORIGINAL}\n${section('vid_2xq9c7', 'Product launch teaser')}`);

    // A person edits the text around the section; the next event changes only the section.
    shop.products.get(PRODUCT)!.descriptionHtml = `<p>Sale!</p>\n${description()}\n<p>Care: hand wash.</p>`;
    await shopify.deliver(completed({ title: 'Launch teaser <final>', description: 'Now in 4K & HDR' }, 'evt_2'), destination({ productDescription: 'append' }), createHttp(), ctx);
    expect(description()).toBe(
      `<p>Sale!</p>\n${ORIGINAL}\n${section('vid_2xq9c7', 'Launch teaser &lt;final&gt;', YOUTUBE, 'Now in 4K &amp; HDR')}\n<p>Care: hand wash.</p>`,
    );
  });

  it('adds a second video as its own section', async () => {
    const ctx = memoryContext();
    await shopify.deliver(completed(), destination({ productDescription: 'append' }), createHttp(), ctx);
    await shopify.deliver(completed({ id: 'vid_second', title: 'Second cut', url: 'https://vimeo.com/76979871' }, 'evt_2'), destination({ productDescription: 'append' }), createHttp(), ctx);
    expect(description()).toBe(`${ORIGINAL}\n${section('vid_2xq9c7', 'Product launch teaser')}\n${section('vid_second', 'Second cut', 'https://vimeo.com/76979871')}`);
  });

  it('replaces the whole description with the section the first time only, then updates the section in place', async () => {
    const ctx = memoryContext();
    await shopify.deliver(completed(), destination({ productDescription: 'replace' }), createHttp(), ctx);
    expect(description()).toBe(section('vid_2xq9c7', 'Product launch teaser'));

    shop.products.get(PRODUCT)!.descriptionHtml = `<p>Intro a person wrote</p>\n${description()}`;
    await shopify.deliver(completed({ title: 'Renamed' }, 'evt_2'), destination({ productDescription: 'replace' }), createHttp(), ctx);
    expect(description()).toBe(`<p>Intro a person wrote</p>\n${section('vid_2xq9c7', 'Renamed')}`);
  });

  it('sends no update when the section is already as it should be', async () => {
    const ctx = memoryContext();
    await shopify.deliver(completed(), destination({ productDescription: 'append' }), createHttp(), ctx);
    const before = shop.calls.length;
    await shopify.deliver(completed(), destination({ productDescription: 'append' }), createHttp(), ctx);
    expect(operations().slice(before)).toEqual(['VidhookProductDescription', 'VidhookMetafields']);
  });

  it('keeps both sections when two videos of one product are delivered at the same time', async () => {
    const ctx = memoryContext();
    await Promise.all([
      shopify.deliver(completed(), destination({ productDescription: 'append' }), createHttp(), ctx),
      shopify.deliver(completed({ id: 'vid_b', title: 'B' }, 'evt_b'), destination({ productDescription: 'append' }), createHttp(), ctx),
    ]);
    expect(description()).toContain(section('vid_2xq9c7', 'Product launch teaser'));
    expect(description()).toContain(section('vid_b', 'B'));
    expect(description().startsWith(ORIGINAL)).toBe(true);
  });

  it('mints one client-credentials token for concurrent deliveries that update descriptions', async () => {
    const dest = destination({ accessToken: undefined, clientId: 'client-123', clientSecret: CLIENT_SECRET, productDescription: 'append' });
    const ctx = memoryContext();
    const videos = ['a', 'b', 'c', 'd'].map((n) => completed({ id: `vid_${n}`, title: n }, `evt_${n}`));
    await Promise.all(videos.map((v) => shopify.deliver(v, dest, createHttp(), ctx)));
    expect(shop.tokenRequests).toHaveLength(1);
    expect(new Set(shop.calls.map((c) => c.token)).size).toBe(1);
    expect(operations().filter((o) => o === 'VidhookDescription')).toHaveLength(4);
    for (const n of ['a', 'b', 'c', 'd']) expect(description()).toContain(section(`vid_${n}`, n));
  });

  it('retries a throttled description update and writes the section once', async () => {
    const ctx = memoryContext();
    shop.throttleNext(1, 0, /VidhookDescription/);
    await expect(shopify.deliver(completed(), destination({ productDescription: 'append' }), createHttp(), ctx)).rejects.toBeInstanceOf(RetryableError);
    await shopify.deliver(completed(), destination({ productDescription: 'append' }), createHttp(), ctx);
    expect(description().split('<!-- vidhook:video:vid_2xq9c7 -->')).toHaveLength(2);
    expect(shop.products.get(PRODUCT)!.media).toHaveLength(1);
  });

  it('refuses a description mode it does not know, naming the setting', () => {
    expect(() =>
      resolveDestination({ name: 'store', source: 'project', file: 'vidhook.yml', body: { connector: 'shopify', shop: 'northwind', accessToken: TOKEN, productDescription: 'prepend' } }),
    ).toThrow('vidhook.yml, destination "store", setting "productDescription": must be off, append or replace');
  });
});
