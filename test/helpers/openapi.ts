import { Validator } from '@seriousme/openapi-schema-validator';
// ajv comes with the OpenAPI validator (and conf); its 2020-12 dialect is the one OpenAPI 3.1 uses.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { openApiDocument } from '../../src/server/openapi.js';

type Json = Record<string, any>;

interface Operation {
  template: string;
  operation: Json;
}

let resolved: Json | undefined;
const ajv = new Ajv2020({ strict: false, allErrors: true });
const compiled = new WeakMap<object, ValidateFunction>();

/** The document as the daemon builds it, checked once by a standard OpenAPI 3.1 validator, with every $ref resolved. */
export async function openApiSpec(): Promise<Json> {
  if (resolved) return resolved;
  const validator = new Validator();
  const result = await validator.validate(openApiDocument('test'));
  if (!result.valid) throw new Error(`the OpenAPI document is invalid: ${JSON.stringify(result.errors, null, 2)}`);
  resolved = validator.resolveRefs();
  return resolved;
}

function operationFor(spec: Json, method: string, path: string): Operation | undefined {
  const candidates = Object.keys(spec.paths)
    .filter((template) => new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path) && spec.paths[template][method])
    // A literal segment (/api/deliveries/stream) wins over a parameter (/api/deliveries/{id}).
    .sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0));
  return candidates.length ? { template: candidates[0], operation: spec.paths[candidates[0]][method] } : undefined;
}

function check(schema: object, value: unknown, what: string): void {
  let validate = compiled.get(schema);
  if (!validate) compiled.set(schema, (validate = ajv.compile(schema)));
  if (!validate(value)) {
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    throw new Error(`${what} does not match the OpenAPI document:\n  ${problems.join('\n  ')}\n${JSON.stringify(value, null, 2).slice(0, 2000)}`);
  }
}

export interface Exchange {
  method: string;
  /** The path and query, e.g. /api/deliveries?limit=3. */
  url: string;
  requestBody?: string;
  status: number;
  contentType: string | null;
  /** The answer's text; undefined for a stream that was not read. */
  body?: string;
}

/**
 * Throws unless the document describes this answer: its status (or `default` for an error), its content
 * type and its body. A 2xx answer also means the daemon took the request body, so that must match too.
 */
export async function checkExchange(exchange: Exchange): Promise<void> {
  const spec = await openApiSpec();
  const method = exchange.method.toLowerCase();
  const { pathname } = new URL(exchange.url, 'http://vidhook.test');
  const what = `${exchange.method} ${pathname} → ${exchange.status}`;
  const found = operationFor(spec, method, pathname);
  const ok = exchange.status >= 200 && exchange.status < 300;
  if (!found) {
    // An undocumented route is only ever answered with the API's error (404 no route, 405 wrong method).
    if (ok) throw new Error(`${what}: the OpenAPI document has no operation ${exchange.method} ${pathname}`);
    const error = spec.components.schemas.Error;
    check(error, JSON.parse(exchange.body ?? ''), `${what}: the error`);
    return;
  }
  const answer = found.operation.responses[String(exchange.status)] ?? (ok ? undefined : found.operation.responses.default);
  if (!answer) throw new Error(`${what}: the OpenAPI document lists no ${exchange.status} answer for ${exchange.method} ${found.template}`);
  const content: Json | undefined = answer.content;
  if (!content) {
    if (exchange.body) throw new Error(`${what}: the document says this answer has no body, but it has one: ${exchange.body.slice(0, 200)}`);
    return;
  }
  const mediaType = (exchange.contentType ?? '').split(';')[0].trim();
  if (!content[mediaType]) {
    throw new Error(`${what}: content type ${exchange.contentType} is not one the document lists (${Object.keys(content).join(', ')})`);
  }
  if (exchange.body !== undefined) {
    const schema = content[mediaType].schema;
    check(schema, mediaType === 'application/json' ? JSON.parse(exchange.body) : exchange.body, `${what}: the body`);
  }
  const requestSchema = found.operation.requestBody?.content?.['application/json']?.schema;
  if (ok && requestSchema && exchange.requestBody) {
    check(requestSchema, JSON.parse(exchange.requestBody), `${what}: the daemon took a request body that`);
  }
}

/** fetch, and then checkExchange on what came back; the answer's body is still there to read. */
export async function checkedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  const contentType = res.headers.get('content-type');
  // A stream never ends: its status and type are checked, its body is left to the caller.
  const streaming = contentType?.startsWith('text/event-stream') === true;
  await checkExchange({
    method: init.method ?? 'GET',
    url,
    requestBody: typeof init.body === 'string' ? init.body : undefined,
    status: res.status,
    contentType,
    body: streaming ? undefined : await res.clone().text(),
  });
  return res;
}
