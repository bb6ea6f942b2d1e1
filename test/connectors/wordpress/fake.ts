import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A WordPress site speaking the REST API as core 6.1 does (checked against the real one, see
 * real/): Application Passwords over Basic auth (a wrong one answered like no credentials at all;
 * XML-RPC's login tells them apart), posts and pages, media (raw-body upload; AVIF refused),
 * categories and tags, post types, core's error bodies, and, when pretty permalinks are off, only
 * the ?rest_route= form (/wp-json/ redirects a GET and shows the home page otherwise).
 */
export interface FakeWordPressOptions {
  username?: string;
  appPassword?: string;
  /** Roles decide capabilities: a contributor cannot publish or upload. */
  role?: 'administrator' | 'editor' | 'author' | 'contributor';
  prettyPermalinks?: boolean;
  /** Some hosts drop the Authorization header before PHP sees it. */
  stripsAuthorization?: boolean;
  /** Files served under /cdn/<name> (the video CDN). */
  files?: Record<string, { contentType: string; body: Buffer }>;
  /** XML-RPC turned off (security plugins often do). */
  xmlrpcDisabled?: boolean;
}

export interface WpPost {
  id: number;
  type: 'post' | 'page';
  title: string;
  content: string;
  status: string;
  categories: number[];
  tags: number[];
  featured_media: number;
}

export interface WpMedia {
  id: number;
  filename: string;
  contentType: string;
  bytes: Buffer;
}

export interface RecordedRequest {
  method: string;
  url: string;
  route: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FakeWordPress {
  siteUrl: string;
  origin: string;
  /** Posts and pages (by `type`). */
  posts: Map<number, WpPost>;
  media: Map<number, WpMedia>;
  terms: { categories: Map<number, string>; tags: Map<number, string> };
  requests: RecordedRequest[];
  /** Answers the next REST calls with this status and body instead (a WAF, an outage). */
  failNext(count: number, status: number, body: unknown, headers?: Record<string, string>): void;
  close(): Promise<void>;
}

const CAPABILITIES: Record<string, { publish: boolean; upload: boolean; editPublished: boolean; pages: boolean; manageCategories: boolean }> = {
  administrator: { publish: true, upload: true, editPublished: true, pages: true, manageCategories: true },
  editor: { publish: true, upload: true, editPublished: true, pages: true, manageCategories: true },
  author: { publish: true, upload: true, editPublished: true, pages: false, manageCategories: false },
  contributor: { publish: false, upload: false, editPublished: false, pages: false, manageCategories: false },
};

/** users/me?context=edit's capabilities: the role's, as core lists them. */
function capabilityList(role: string): Record<string, boolean> {
  const c = CAPABILITIES[role];
  const caps: Record<string, boolean> = { read: true, edit_posts: true, [role]: true };
  if (c.publish) Object.assign(caps, { publish_posts: true });
  if (c.upload) caps.upload_files = true;
  if (c.editPublished) caps.edit_published_posts = true;
  if (c.pages) Object.assign(caps, { edit_pages: true, publish_pages: true, edit_published_pages: true });
  if (c.manageCategories) caps.manage_categories = true;
  return caps;
}

const TYPES = {
  post: { slug: 'post', rest_base: 'posts', name: 'Posts', taxonomies: ['category', 'post_tag'], capabilities: { edit_posts: 'edit_posts', publish_posts: 'publish_posts', edit_published_posts: 'edit_published_posts', create_posts: 'edit_posts' } },
  page: { slug: 'page', rest_base: 'pages', name: 'Pages', taxonomies: [], capabilities: { edit_posts: 'edit_pages', publish_posts: 'publish_pages', edit_published_posts: 'edit_published_pages', create_posts: 'edit_pages' } },
  attachment: { slug: 'attachment', rest_base: 'media', name: 'Media', taxonomies: [], capabilities: { edit_posts: 'edit_posts', create_posts: 'upload_files' } },
};

const wpError = (status: number, code: string, message: string, extra: Record<string, unknown> = {}) => ({
  status,
  body: { code, message, data: { status, ...extra } },
});

function escapeName(name: string): string {
  return name.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export async function startFakeWordPress(options: FakeWordPressOptions = {}): Promise<FakeWordPress> {
  const username = options.username ?? 'editor';
  const appPassword = options.appPassword ?? 'abcd EFGH 1234 ijkl MNOP 5678';
  const role = options.role ?? 'editor';
  const pretty = options.prettyPermalinks ?? true;
  const posts = new Map<number, WpPost>();
  const media = new Map<number, WpMedia>();
  const terms = { categories: new Map<number, string>([[1, 'Uncategorized']]), tags: new Map<number, string>() };
  const requests: RecordedRequest[] = [];
  let nextId = 100;
  let failures: { count: number; status: number; body: unknown; headers?: Record<string, string> } | undefined;
  const sockets = new Set<Socket>();

  type Answer = { status: number; body: unknown; headers?: Record<string, string> };

  function credentialsRight(user: string, password: string): boolean {
    // Core strips everything but letters and digits from an application password.
    const strip = (text: string) => text.replace(/[^a-z\d]/gi, '');
    return user === username && strip(password) === strip(appPassword);
  }

  /** WordPress 6.1 answers a wrong password or user as if no credentials came at all. */
  function authenticate(headers: Record<string, string>): 'ok' | 'none' {
    const header = options.stripsAuthorization ? undefined : headers.authorization;
    const match = header ? /^Basic ([A-Za-z0-9+/=]+)$/.exec(header) : null;
    if (!match) return 'none';
    const [user, ...rest] = Buffer.from(match[1], 'base64').toString('utf8').split(':');
    return credentialsRight(user, rest.join(':')) ? 'ok' : 'none';
  }

  function xmlrpc(body: string): { status: number; body: string } {
    const fault = (code: number, text: string) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>${code}</int></value></member><member><name>faultString</name><value><string>${text}</string></value></member></struct></value></fault></methodResponse>`;
    if (options.xmlrpcDisabled) return { status: 405, body: 'XML-RPC server accepts POST requests only.' };
    const params = [...body.matchAll(/<string>([^<]*)<\/string>/g)].map((m) => m[1].replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
    if (!body.includes('<methodName>wp.getUsersBlogs</methodName>') || params.length !== 2) return { status: 200, body: fault(-32601, 'server error. requested method does not exist.') };
    if (!credentialsRight(params[0], params[1])) return { status: 200, body: fault(403, 'Incorrect username or password.') };
    return {
      status: 200,
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<methodResponse>\n  <params>\n    <param><value><array><data><value><struct><member><name>blogid</name><value><string>1</string></value></member></struct></value></data></array></value></param>\n  </params>\n</methodResponse>`,
    };
  }

  function termRoutes(taxonomy: 'categories' | 'tags', method: string, query: URLSearchParams, json: Record<string, unknown>): Answer {
    const store = terms[taxonomy];
    if (method === 'GET') {
      const search = (query.get('search') ?? '').toLowerCase();
      const list = [...store].filter(([, name]) => name.toLowerCase().includes(search)).map(([id, name]) => ({ id, name: escapeName(name) }));
      return { status: 200, body: list };
    }
    const name = typeof json.name === 'string' ? json.name.trim() : '';
    if (!name) return wpError(400, 'rest_missing_callback_param', 'Missing parameter(s): name', { params: ['name'] });
    const existing = [...store].find(([, n]) => n.toLowerCase() === name.toLowerCase());
    if (existing) return wpError(400, 'term_exists', 'A term with the name provided already exists in this taxonomy.', { term_id: existing[0] });
    const id = nextId++;
    store.set(id, name);
    return { status: 201, body: { id, name: escapeName(name), taxonomy: taxonomy === 'tags' ? 'post_tag' : 'category' } };
  }

  function validateTerms(json: Record<string, unknown>): Answer | undefined {
    for (const taxonomy of ['categories', 'tags'] as const) {
      const ids = json[taxonomy];
      if (ids === undefined) continue;
      if (!Array.isArray(ids) || ids.some((id) => !terms[taxonomy].has(Number(id)))) {
        return wpError(400, 'rest_invalid_param', `Invalid parameter(s): ${taxonomy}`, { params: { [taxonomy]: `${taxonomy} is not a valid term id list.` } });
      }
    }
    if (json.featured_media !== undefined && json.featured_media !== 0 && !media.has(Number(json.featured_media))) {
      return wpError(400, 'rest_invalid_featured_media', 'Invalid featured media ID.');
    }
    return undefined;
  }

  function postRoutes(type: 'post' | 'page', method: string, id: number | undefined, json: Record<string, unknown>): Answer {
    if (method !== 'POST') return wpError(404, 'rest_no_route', 'No route was found matching the URL and request method.');
    if (type === 'page' && !CAPABILITIES[role].pages) return wpError(403, 'rest_cannot_create', 'Sorry, you are not allowed to create pages as this user.');
    const status = (json.status as string | undefined) ?? 'draft';
    if (!['publish', 'future', 'draft', 'pending', 'private'].includes(status)) {
      return wpError(400, 'rest_invalid_param', 'Invalid parameter(s): status', { params: { status: 'status is not one of publish, future, draft, pending, private, and trash.' } });
    }
    if (status === 'publish' && !CAPABILITIES[role].publish) {
      return wpError(403, 'rest_cannot_publish', 'Sorry, you are not allowed to publish posts in this post type.');
    }
    const invalid = validateTerms(json);
    if (invalid) return invalid;
    const fields = {
      ...(json.title !== undefined ? { title: String(json.title) } : {}),
      ...(json.content !== undefined ? { content: String(json.content) } : {}),
      ...(json.status !== undefined ? { status } : {}),
      ...(json.categories !== undefined ? { categories: json.categories as number[] } : {}),
      ...(json.tags !== undefined ? { tags: json.tags as number[] } : {}),
      ...(json.featured_media !== undefined ? { featured_media: Number(json.featured_media) } : {}),
    };
    if (id !== undefined) {
      const post = posts.get(id);
      if (!post || post.type !== type) return wpError(404, 'rest_post_invalid_id', 'Invalid post ID.');
      if (post.status === 'publish' && !CAPABILITIES[role].editPublished) return wpError(403, 'rest_cannot_edit', 'Sorry, you are not allowed to edit this post.');
      Object.assign(post, fields);
      return { status: 200, body: { ...post, link: `${origin}/?p=${id}` } };
    }
    const post: WpPost = { id: nextId++, type, title: '', content: '', status: 'draft', categories: type === 'post' ? [1] : [], tags: [], featured_media: 0, ...fields };
    posts.set(post.id, post);
    return { status: 201, body: { ...post, link: `${origin}/?p=${post.id}` }, headers: { location: `${origin}/wp-json/wp/v2/posts/${post.id}` } };
  }

  function mediaRoute(headers: Record<string, string>, body: Buffer): Answer {
    if (!CAPABILITIES[role].upload) return wpError(403, 'rest_cannot_create', 'Sorry, you are not allowed to upload media as this user.');
    if (body.length === 0) return wpError(400, 'rest_upload_no_data', 'No data supplied.');
    const type = headers['content-type'];
    if (!type) return wpError(400, 'rest_upload_no_content_type', 'No Content-Type supplied.');
    const disposition = headers['content-disposition'];
    if (!disposition) return wpError(400, 'rest_upload_no_content_disposition', 'No Content-Disposition supplied.');
    const filename = /^attachment; filename="([^"]+)"$/.exec(disposition)?.[1];
    if (!filename) return wpError(400, 'rest_upload_invalid_disposition', 'Invalid Content-Disposition supplied. Content-Disposition needs to be formatted as `attachment; filename="image.png"` or similar.');
    // 6.1 knows no AVIF: its upload is refused like any type not allowed.
    if (!type.startsWith('image/') || type === 'image/svg+xml' || type === 'image/avif') {
      return wpError(500, 'rest_upload_sideload_error', 'Sorry, you are not allowed to upload this file type.');
    }
    const id = nextId++;
    media.set(id, { id, filename, contentType: type, bytes: body });
    return { status: 201, body: { id, source_url: `${origin}/wp-content/uploads/${filename}`, mime_type: type, media_type: 'image' } };
  }

  function rest(route: string, method: string, query: URLSearchParams, headers: Record<string, string>, body: Buffer): Answer {
    if (failures && failures.count > 0) {
      failures.count--;
      return { status: failures.status, body: failures.body, headers: failures.headers };
    }
    const auth = authenticate(headers);
    const contentType = headers['content-type'] ?? '';
    let json: Record<string, unknown> = {};
    if (contentType.startsWith('application/json') && body.length) json = JSON.parse(body.toString('utf8'));

    if (route === '/wp/v2/users/me') {
      if (auth === 'none') return wpError(401, 'rest_not_logged_in', 'You are not currently logged in.');
      return { status: 200, body: { id: 1, name: 'Eddie Tor', slug: username, roles: [role], ...(query.get('context') === 'edit' ? { capabilities: capabilityList(role) } : {}) } };
    }
    if (route === '/') {
      return { status: 200, body: { name: 'Fake site', authentication: { 'application-passwords': { endpoints: { authorization: `${origin}/wp-admin/authorize-application.php` } } } } };
    }
    if (route === '/wp/v2/types') {
      if (query.get('context') === 'edit' && auth === 'none') return wpError(401, 'rest_cannot_view', 'Sorry, you are not allowed to edit posts in this post type.');
      return { status: 200, body: TYPES };
    }
    const attachment = /^\/wp\/v2\/media\/(\d+)$/.exec(route);
    if (attachment) {
      if (auth === 'none') return wpError(401, 'rest_forbidden_context', 'Sorry, you are not allowed to edit this post.');
      const id = Number(attachment[1]);
      if (!media.has(id)) return wpError(404, 'rest_post_invalid_id', 'Invalid post ID.');
      if (method === 'DELETE') media.delete(id);
      return { status: 200, body: { id } };
    }
    const taxonomy = /^\/wp\/v2\/(categories|tags)$/.exec(route)?.[1] as 'categories' | 'tags' | undefined;
    if (taxonomy) {
      if (method !== 'GET' && auth === 'none') return wpError(401, 'rest_cannot_create', 'Sorry, you are not allowed to create terms in this taxonomy.');
      return termRoutes(taxonomy, method, query, json);
    }
    const post = /^\/wp\/v2\/(posts|pages)(?:\/(\d+))?$/.exec(route);
    if (post) {
      if (auth === 'none') return wpError(401, 'rest_cannot_create', `Sorry, you are not allowed to create ${post[1]} as this user.`);
      return postRoutes(post[1] === 'pages' ? 'page' : 'post', method, post[2] ? Number(post[2]) : undefined, json);
    }
    if (route === '/wp/v2/media' && method === 'POST') {
      if (auth === 'none') return wpError(401, 'rest_cannot_create', 'Sorry, you are not allowed to upload media as this user.');
      return mediaRoute(headers, body);
    }
    return wpError(404, 'rest_no_route', 'No route was found matching the URL and request method.');
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(req.url ?? '/', origin);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;

    let route: string | undefined;
    if (url.pathname.startsWith('/wp-json/') && pretty) route = url.pathname.slice('/wp-json'.length);
    else if (url.pathname === '/' && url.searchParams.has('rest_route')) route = url.searchParams.get('rest_route')!;
    requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', route: route ?? url.pathname, headers, body });

    let answer: Answer;
    if (route !== undefined) {
      url.searchParams.delete('rest_route');
      answer = rest(route, req.method ?? 'GET', url.searchParams, headers, body);
    } else if (url.pathname === '/xmlrpc.php' && req.method === 'POST') {
      const answer = xmlrpc(body.toString('utf8'));
      res.writeHead(answer.status, { 'content-type': answer.status === 200 ? 'text/xml; charset=UTF-8' : 'text/plain' });
      res.end(answer.body);
      return;
    } else if (url.pathname.startsWith('/wp-json/') && !pretty) {
      // Plain permalinks: a GET is redirected to its canonical URL, anything else shows the home page.
      if (req.method === 'GET') res.writeHead(301, { location: `${origin}${url.pathname.replace(/\/?$/, '/')}`, 'content-type': 'text/html; charset=UTF-8' });
      else res.writeHead(200, { 'content-type': 'text/html; charset=UTF-8' });
      res.end(req.method === 'GET' ? '' : '<!doctype html><html><body><h1>Fake site</h1></body></html>');
      return;
    } else if (url.pathname.startsWith('/cdn/') && options.files?.[url.pathname.slice(5)]) {
      const file = options.files[url.pathname.slice(5)];
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.body.length) });
      res.end(file.body);
      return;
    } else {
      res.writeHead(404, { 'content-type': 'text/html; charset=UTF-8' });
      res.end('<!doctype html><html><body><h1>Page not found</h1></body></html>');
      return;
    }
    const payload = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const type = typeof answer.body === 'string' ? 'text/html; charset=UTF-8' : 'application/json; charset=UTF-8';
    res.writeHead(answer.status, { 'content-type': type, ...answer.headers });
    res.end(payload);
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
    siteUrl: origin,
    origin,
    posts,
    media,
    terms,
    requests,
    failNext(count, status, body, headers) {
      failures = { count, status, body, headers };
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
