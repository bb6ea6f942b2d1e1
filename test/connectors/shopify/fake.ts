import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A Shopify shop speaking the Admin GraphQL API: X-Shopify-Access-Token auth, the
 * client-credentials token endpoint, calculated query cost in `extensions.cost`, THROTTLED
 * answers with HTTP 200, userErrors, version fall-forward, staged upload targets that take a
 * multipart POST, and products whose media and metafields can be inspected.
 */
export interface FakeShopifyOptions {
  accessToken?: string;
  clientId?: string;
  clientSecret?: string;
  products?: number[];
  /** Starting descriptions by product number. */
  descriptions?: Record<number, string>;
  supportedVersions?: string[];
  files?: Record<string, { contentType: string; body: Buffer }>;
}

export interface ProductMedia {
  id: string;
  mediaContentType: string;
  originalSource: string;
  alt?: string;
}

export interface FakeProduct {
  descriptionHtml: string;
  media: ProductMedia[];
  metafields: Map<string, { type: string; value: string }>;
}

export interface StagedUpload {
  filename: string;
  mimeType: string;
  fileSize: number;
  parameters: Array<{ name: string; value: string }>;
  uploaded?: Buffer;
  uploadedType?: string;
}

export interface GraphqlCall {
  version: string;
  token: string;
  query: string;
  variables: Record<string, any>;
}

export interface FakeShopify {
  origin: string;
  products: Map<string, FakeProduct>;
  staged: Map<string, StagedUpload>;
  calls: GraphqlCall[];
  tokenRequests: Array<Record<string, string>>;
  uploadRequests: Array<{ contentType: string; body: Buffer }>;
  /** The next `count` GraphQL calls (whose query matches, if given) are throttled, with this much left in the bucket. */
  throttleNext(count: number, currentlyAvailable: number, match?: RegExp): void;
  /** Every token minted so far stops working (a token past its ~24 h). */
  expireTokens(): void;
  close(): Promise<void>;
}

const RESTORE_RATE = 100;
const MAXIMUM = 2000;
const EXTERNAL = /^https:\/\/(www\.)?(youtube\.com|youtu\.be|vimeo\.com)\//;

export async function startFakeShopify(options: FakeShopifyOptions = {}): Promise<FakeShopify> {
  const versions = options.supportedVersions ?? ['2026-01', '2026-04', '2026-07', '2026-10'];
  const products = new Map<string, FakeProduct>(
    (options.products ?? [1001]).map((id) => [`gid://shopify/Product/${id}`, { descriptionHtml: options.descriptions?.[id] ?? '', media: [], metafields: new Map() }]),
  );
  const staged = new Map<string, StagedUpload>();
  const calls: GraphqlCall[] = [];
  const tokenRequests: Array<Record<string, string>> = [];
  const uploadRequests: Array<{ contentType: string; body: Buffer }> = [];
  const validTokens = new Set<string>(options.accessToken ? [options.accessToken] : []);
  let throttle: { count: number; available: number; match?: RegExp } = { count: 0, available: 0 };
  let nextId = 1;
  const sockets = new Set<Socket>();

  type Answer = { status: number; body: unknown; headers?: Record<string, string> };

  const cost = (requested: number, available = MAXIMUM - requested, actual: number | null = requested) => ({
    cost: { requestedQueryCost: requested, actualQueryCost: actual, throttleStatus: { maximumAvailable: MAXIMUM, currentlyAvailable: available, restoreRate: RESTORE_RATE } },
  });

  function tokenEndpoint(body: Buffer, contentType: string): Answer {
    const params: Record<string, string> = contentType.includes('json')
      ? JSON.parse(body.toString())
      : Object.fromEntries(new URLSearchParams(body.toString()));
    tokenRequests.push(params);
    if (params.grant_type !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
    if (params.client_id !== options.clientId || params.client_secret !== options.clientSecret) {
      return { status: 400, body: { error: 'invalid_client', error_description: 'Client authentication failed due to unknown client or invalid credentials.' } };
    }
    const token = `shpat_cc_${nextId++}_${Math.random().toString(36).slice(2)}`;
    validTokens.add(token);
    return { status: 200, body: { access_token: token, scope: 'read_products,write_products', expires_in: 86399 } };
  }

  function stagedUploadsCreate(variables: Record<string, any>): unknown {
    const userErrors: Array<{ field: string[]; message: string }> = [];
    const stagedTargets = (variables.input as any[]).map((input, i) => {
      if (input.resource === 'VIDEO' && !input.fileSize) userErrors.push({ field: ['input', String(i), 'fileSize'], message: 'File size is required for video.' });
      const id = String(nextId++);
      const parameters = [
        { name: 'GoogleAccessId', value: 'video-production@shopify-tiers.iam.gserviceaccount.com' },
        { name: 'key', value: `dev/o/v/${id}.mp4` },
        { name: 'policy', value: Buffer.from(`{"expiration":"2099-01-01","id":"${id}"}`).toString('base64') },
        { name: 'signature', value: `sig-${id}` },
      ];
      staged.set(id, { filename: input.filename, mimeType: input.mimeType, fileSize: Number(input.fileSize), parameters });
      return { url: `${origin}/staged-target/${id}`, resourceUrl: `${origin}/staged-resource/${id}`, parameters };
    });
    return { stagedUploadsCreate: { stagedTargets: userErrors.length ? null : stagedTargets, userErrors } };
  }

  function productUpdate(variables: Record<string, any>): unknown {
    const product = products.get(variables.product?.id);
    if (!product) return { productUpdate: { product: null, userErrors: [{ field: ['product', 'id'], message: 'Product does not exist' }] } };
    const media = (variables.media ?? []) as Array<{ originalSource: string; mediaContentType: string; alt?: string }>;
    const userErrors: Array<{ field: string[]; message: string }> = [];
    media.forEach((m, i) => {
      const field = ['media', String(i), 'originalSource'];
      if (m.mediaContentType === 'EXTERNAL_VIDEO' && !EXTERNAL.test(m.originalSource)) userErrors.push({ field, message: 'Media url is not a valid YouTube or Vimeo url' });
      if (m.mediaContentType === 'VIDEO') {
        const id = /\/staged-resource\/(\d+)$/.exec(m.originalSource)?.[1];
        if (!id || !staged.get(id)?.uploaded) userErrors.push({ field, message: 'Media upload was not found or not completed' });
      }
    });
    const description = variables.product.descriptionHtml;
    if (description !== undefined && typeof description !== 'string') userErrors.push({ field: ['product', 'descriptionHtml'], message: 'Description html must be a string' });
    if (userErrors.length) return { productUpdate: { product: null, userErrors } };
    if (typeof description === 'string') product.descriptionHtml = description;
    for (const m of media) {
      const kind = m.mediaContentType === 'VIDEO' ? 'Video' : 'ExternalVideo';
      product.media.push({ id: `gid://shopify/${kind}/${nextId++}`, mediaContentType: m.mediaContentType, originalSource: m.originalSource, alt: m.alt });
    }
    const last = product.media.at(-1);
    return {
      productUpdate: {
        product: { id: variables.product.id, media: { nodes: last ? [{ id: last.id, mediaContentType: last.mediaContentType, status: 'UPLOADED' }] : [] } },
        userErrors: [],
      },
    };
  }

  function metafieldsSet(variables: Record<string, any>): unknown {
    const inputs = variables.metafields as Array<Record<string, string>>;
    const userErrors: Array<{ field: string[]; message: string; code: string }> = [];
    if (inputs.length > 25) userErrors.push({ field: ['metafields'], message: 'Exceeded the maximum metafields input limit of 25.', code: 'LESS_THAN_OR_EQUAL_TO' });
    inputs.forEach((m, i) => {
      const at = (f: string) => ['metafields', String(i), f];
      if (!products.has(m.ownerId)) userErrors.push({ field: at('ownerId'), message: 'Owner does not exist.', code: 'INVALID' });
      if (!m.namespace || m.namespace.length < 3 || m.namespace.length > 255) userErrors.push({ field: at('namespace'), message: 'Namespace is too short (minimum is 3 characters)', code: 'TOO_SHORT' });
      if (!m.key || m.key.length < 2 || m.key.length > 64) userErrors.push({ field: at('key'), message: 'Key must be 2-64 characters', code: 'INVALID' });
      if (!m.type) userErrors.push({ field: at('type'), message: 'Type can\'t be blank', code: 'BLANK' });
      if (typeof m.value !== 'string') userErrors.push({ field: at('value'), message: 'Value must be a string', code: 'INVALID_VALUE' });
      if (m.type === 'url' && !/^https?:\/\//.test(m.value)) userErrors.push({ field: at('value'), message: 'Value must be a valid URL', code: 'INVALID_VALUE' });
      if (m.type === 'date_time' && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?$/.test(m.value)) {
        userErrors.push({ field: at('value'), message: 'Value must be in ISO 8601 date-time format', code: 'INVALID_VALUE' });
      }
    });
    if (userErrors.length) return { metafieldsSet: { metafields: null, userErrors } };
    for (const m of inputs) products.get(m.ownerId)!.metafields.set(`${m.namespace}.${m.key}`, { type: m.type, value: m.value });
    return { metafieldsSet: { metafields: inputs.map(({ key, namespace, value }) => ({ key, namespace, value })), userErrors: [] } };
  }

  function graphql(version: string, headers: Record<string, string>, body: Buffer): Answer {
    const token = headers['x-shopify-access-token'] ?? '';
    if (!validTokens.has(token)) return { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } };
    const served = versions.includes(version) ? version : versions[0];
    const versionHeader = { 'x-shopify-api-version': served };
    const { query, variables = {} } = JSON.parse(body.toString()) as { query: string; variables?: Record<string, any> };
    calls.push({ version, token, query, variables });
    const requested = /^\s*mutation/.test(query) ? 10 : 1;
    if (throttle.count > 0 && (!throttle.match || throttle.match.test(query))) {
      throttle.count--;
      return {
        status: 200,
        headers: versionHeader,
        body: { errors: [{ message: 'Throttled', extensions: { code: 'THROTTLED', documentation: 'https://shopify.dev/api/usage/rate-limits' } }], extensions: cost(requested, throttle.available, null) },
      };
    }
    let data: unknown;
    if (/\bproductCreateMedia\b|\bproductUpdateMedia\b/.test(query)) {
      return { status: 200, headers: versionHeader, body: { errors: [{ message: 'This fake refuses deprecated media mutations', extensions: { code: 'DEPRECATED' } }] } };
    } else if (/\bstagedUploadsCreate\b/.test(query)) data = stagedUploadsCreate(variables);
    else if (/\bproductUpdate\s*\(/.test(query)) data = productUpdate(variables);
    else if (/\bmetafieldsSet\b/.test(query)) data = metafieldsSet(variables);
    else if (/\bproduct\s*\(\s*id:/.test(query)) {
      if (typeof variables.id !== 'string' || !/^gid:\/\/shopify\/Product\/\d+$/.test(variables.id)) {
        return { status: 200, headers: versionHeader, body: { errors: [{ message: `Variable $id of type ID! was provided invalid value`, extensions: { code: 'INVALID_VARIABLE' } }] } };
      }
      const found = products.get(variables.id);
      data = { product: found ? { id: variables.id, descriptionHtml: found.descriptionHtml } : null };
    }
    else if (/\bshop\s*\{/.test(query)) data = { shop: { name: 'Northwind Outfitters' } };
    else return { status: 200, headers: versionHeader, body: { errors: [{ message: "Field 'unknown' doesn't exist on type 'QueryRoot'", extensions: { code: 'undefinedField' } }] } };
    return { status: 200, headers: versionHeader, body: { data, extensions: cost(requested) } };
  }

  async function stagedUpload(id: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
    const target = staged.get(id);
    uploadRequests.push({ contentType: headers['content-type'] ?? '', body });
    if (!target) return { status: 404, body: '<Error><Code>NoSuchUpload</Code></Error>' };
    const form = await new Request('http://staged.local/', { method: 'POST', headers: { 'content-type': headers['content-type'] ?? '' }, body }).formData();
    const raw = body.toString('latin1');
    const fileAt = raw.indexOf('name="file"');
    for (const p of target.parameters) {
      if (form.get(p.name) !== p.value) return { status: 403, body: `<Error><Code>AccessDenied</Code><Message>missing ${p.name}</Message></Error>` };
      if (raw.indexOf(`name="${p.name}"`) > fileAt) return { status: 400, body: '<Error><Code>InvalidArgument</Code><Message>file must be the last field</Message></Error>' };
    }
    const file = form.get('file');
    if (!(file instanceof Blob)) return { status: 400, body: '<Error><Code>InvalidArgument</Code><Message>no file</Message></Error>' };
    const bytes = Buffer.from(await file.arrayBuffer());
    if (bytes.length !== target.fileSize) return { status: 400, body: '<Error><Code>EntityTooLarge</Code></Error>' };
    target.uploaded = bytes;
    target.uploadedType = file.type;
    return { status: 204, body: '' };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const path = new URL(req.url ?? '/', origin).pathname;

    let answer: Answer;
    const api = /^\/admin\/api\/([^/]+)\/graphql\.json$/.exec(path);
    const target = /^\/staged-target\/(\d+)$/.exec(path);
    if (req.method === 'POST' && path === '/admin/oauth/access_token') answer = tokenEndpoint(body, headers['content-type'] ?? '');
    else if (req.method === 'POST' && api) answer = graphql(api[1], headers, body);
    else if (req.method === 'POST' && target) answer = await stagedUpload(target[1], headers, body);
    else if (req.method === 'GET' && path.startsWith('/cdn/') && options.files?.[path.slice(5)]) {
      const file = options.files[path.slice(5)];
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.body.length) });
      res.end(file.body);
      return;
    } else answer = { status: 404, body: { errors: 'Not Found' } };

    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const type = typeof answer.body === 'string' ? 'application/xml' : 'application/json; charset=utf-8';
    res.writeHead(answer.status, { ...(text ? { 'content-type': type } : {}), ...answer.headers });
    res.end(text);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    origin,
    products,
    staged,
    calls,
    tokenRequests,
    uploadRequests,
    throttleNext(count, currentlyAvailable, match) {
      throttle = { count, available: currentlyAvailable, match };
    },
    expireTokens() {
      for (const t of [...validTokens]) if (t !== options.accessToken) validTokens.delete(t);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
