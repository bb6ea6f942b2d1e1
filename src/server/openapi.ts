import { z } from 'zod';
import { BUILTIN_EVENT_TYPES, contextShape, errorShape, sessionShape, userShape, videoShape, type BuiltinEventType } from '../events/index.js';
import { apiErrorSchema, sendJson } from './http-utils.js';
import type { Router } from './router.js';
import * as deliveries from './routes/deliveries.js';
import * as events from './routes/events.js';
import * as health from './routes/health.js';
import * as destinations from './routes/destinations.js';
import * as integrations from './routes/integrations.js';
import * as stats from './routes/stats.js';
import * as webhooks from './routes/webhooks.js';
import * as zapier from './routes/zapier.js';

type Json = Record<string, unknown>;

/** `video.generated` → `VideoGeneratedEvent`. */
const eventComponent = (type: BuiltinEventType) =>
  `${type
    .split('.')
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('')}Event`;

const MAX_BATCH = 1000;

/** Request bodies: read as the daemon reads them (zod's input side: defaults optional, unknown keys allowed where kept). */
function requestComponents(): Record<string, z.ZodType> {
  const perType = BUILTIN_EVENT_TYPES.map((type) => events.eventInputSchema(type));
  const event = z.union([...perType, events.customEventInputSchema]).describe('One event: a built-in type, or a custom type declared in the config.');
  return {
    Video: videoShape,
    User: userShape,
    Session: sessionShape,
    EventError: errorShape,
    EventContext: contextShape,
    ...Object.fromEntries(BUILTIN_EVENT_TYPES.map((type, i) => [eventComponent(type), perType[i]])),
    CustomEvent: events.customEventInputSchema,
    Event: event,
    EventBatch: z.object({ events: z.array(event).min(1).max(MAX_BATCH) }).describe(`Up to ${MAX_BATCH} events (the daemon's --max-batch), validated together: one bad event refuses all.`),
    RetryRequest: deliveries.retryRequestSchema,
    ReplayRequest: deliveries.replayRequestSchema,
    ConfigureRequest: integrations.configureRequestSchema,
    WebhookRequest: webhooks.webhookRequestSchema,
    ZapierSubscribeRequest: zapier.zapierSubscribeRequestSchema,
  };
}

/** Answers: what the routes send (zod's output side); objects without extra keys unless they keep them. */
function responseComponents(): Record<string, z.ZodType> {
  return {
    Error: apiErrorSchema,
    AcceptedEvents: events.acceptedEventsSchema,
    StoredEvent: events.storedEventSchema,
    Delivery: deliveries.deliverySchema,
    Exchange: deliveries.exchangeSchema,
    Attempt: deliveries.attemptSchema,
    DeliveryPage: deliveries.deliveryPageSchema,
    DeliveryDetail: deliveries.deliveryDetailSchema,
    AttemptList: deliveries.attemptListSchema,
    RetriedOne: deliveries.retriedOneSchema,
    Retried: deliveries.retriedSchema,
    RetryCount: deliveries.retryCountSchema,
    StreamTicket: deliveries.streamTicketSchema,
    ActivityReport: stats.activityReportSchema,
    DestinationSwitched: destinations.destinationSwitchedSchema,
    ReplayResult: deliveries.replayResultSchema,
    Health: health.healthSchema,
    Readiness: health.readinessSchema,
    ConnectorCatalogue: integrations.connectorCatalogueSchema,
    IntegrationStatus: integrations.integrationStatusSchema,
    Configured: integrations.configuredSchema,
    Webhook: webhooks.webhookSchema,
    WebhookCreated: webhooks.webhookCreatedSchema,
    WebhookList: webhooks.webhookListSchema,
    RotatedSecret: webhooks.rotatedSecretSchema,
    ZapierSubscription: zapier.zapierSubscriptionSchema,
    ZapierUnsubscribed: zapier.zapierUnsubscribedSchema,
    ZapierSamples: zapier.zapierSamplesSchema,
    ZapierMe: zapier.zapierMeSchema,
  };
}

/** JSON Schemas under #/components/schemas, each named schema referred to by $ref wherever it recurs. */
function componentSchemas(named: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }
  return schemas as Record<string, Json>;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const jsonBody = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });

const ERRORS: Record<string, string> = {
  '400': 'Bad input: the message says what to fix; `details` names each field.',
  '401': 'A token is set and the request has no `Authorization: Bearer <token>`, or the wrong one.',
  '404': 'No such thing; the message names it.',
  '409': 'The delivery is being attempted right now.',
  '413': 'The body or the batch is over the limit.',
  '503': 'Not accepting events now (shutting down, or over its disk budget): retry after `Retry-After` seconds; nothing was stored.',
};

function answers(ok: Record<string, [description: string, schema?: string]>, ...errors: string[]): Json {
  const out: Json = {};
  for (const [status, [description, schema]] of Object.entries(ok)) out[status] = { description, ...(schema ? jsonBody(schema) : {}) };
  for (const status of ['401', ...errors]) {
    out[status] = {
      description: ERRORS[status],
      ...(status === '503' ? { headers: { 'Retry-After': { description: 'Seconds to wait.', schema: { type: 'integer' } } } } : {}),
      ...jsonBody('Error'),
    };
  }
  out.default = { description: 'Any other error in the same shape: 405 for a method the path does not take, 500 for the daemon\'s own trouble.', ...jsonBody('Error') };
  return out;
}

const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const query = (name: string, description: string, schema: Json = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });

const SINCE = query('since', 'A duration ago (10m, 2h, 7d) or an ISO date.');
const DESTINATION = query('destination', 'Only this destination.');
const TYPE = query('type', 'Only this event type.');
const OUTCOME = query('status', 'Only attempts with this outcome.', { type: 'string', enum: ['ok', 'retrying', 'failed', 'skipped'] });

function paths(): Json {
  return {
    '/api/events': {
      post: {
        operationId: 'emitEvents',
        summary: 'Accept one event, or a batch',
        description:
          'Validates every event before storing any, and answers only after the events and their deliveries are durably committed. ' +
          'Repeating an id answers 200 with the stored result (`duplicate: true`) and creates nothing new.',
        requestBody: { required: true, content: { 'application/json': { schema: { oneOf: [ref('Event'), ref('EventBatch')] } } } },
        responses: answers({ '202': ['Accepted and stored.', 'AcceptedEvents'], '200': ['Every id was already stored: the stored result.', 'AcceptedEvents'] }, '400', '413', '503'),
      },
    },
    '/api/events/{id}': {
      get: {
        operationId: 'getEvent',
        summary: 'An event and the state of each of its deliveries',
        parameters: [pathParam('id', 'The event id.')],
        responses: answers({ '200': ['The event.', 'StoredEvent'] }, '404'),
      },
    },
    '/api/deliveries': {
      get: {
        operationId: 'listDeliveries',
        summary: 'Deliveries, oldest first (or newest first), a page at a time',
        parameters: [
          query('status', 'Comma-separated delivery states.', { type: 'string', examples: ['failed', 'pending,retrying'] }),
          DESTINATION,
          TYPE,
          SINCE,
          query('until', 'Created before this: a duration ago or an ISO date.'),
          query('event', "This event's deliveries only."),
          query('order', 'oldest (default) or newest first.', { type: 'string', enum: ['oldest', 'newest'] }),
          query('limit', 'Page size, 1 to 1000 (default 100).', { type: 'integer', minimum: 1, maximum: 1000 }),
          query('after', 'The `next` of the previous page.'),
        ],
        responses: answers({ '200': ['A page of deliveries.', 'DeliveryPage'] }, '400'),
      },
    },
    '/api/deliveries/stream': {
      get: {
        operationId: 'streamAttempts',
        summary: 'Server-Sent Events: one `attempt` event per attempt, as it settles',
        description: 'Each `data:` line is an Attempt without its `exchanges` (what `vidhook tail -f` prints), with an `id:`; a client reconnecting with `Last-Event-ID` first gets the attempts it missed. Comment lines keep the connection alive.',
        parameters: [DESTINATION, TYPE, OUTCOME, query('ticket', 'A ticket from POST /api/deliveries/stream/ticket, instead of the bearer token.')],
        responses: answers({ '200': ['The stream.'] }, '400'),
      },
    },
    '/api/deliveries/stream/ticket': {
      post: {
        operationId: 'streamTicket',
        summary: 'A short-lived ticket that opens the attempt stream, for browsers whose EventSource cannot send the token',
        responses: answers({ '201': ['The ticket.', 'StreamTicket'] }),
      },
    },
    '/api/deliveries/{id}': {
      get: {
        operationId: 'getDelivery',
        summary: 'One delivery with every attempt, its requests and answers (secrets masked)',
        parameters: [pathParam('id', 'The delivery id.')],
        responses: answers({ '200': ['The delivery.', 'DeliveryDetail'] }, '404'),
      },
    },
    '/api/deliveries/{id}/retry': {
      post: {
        operationId: 'retryDelivery',
        summary: 'Queue one delivery again, with a fresh attempt budget',
        parameters: [pathParam('id', 'The delivery id.')],
        responses: answers({ '202': ['Queued.', 'RetriedOne'] }, '404', '409'),
      },
    },
    '/api/deliveries/retry': {
      post: {
        operationId: 'retryDeliveries',
        summary: 'Queue again every delivery that matches (default: failed ones)',
        requestBody: { required: false, ...jsonBody('RetryRequest') },
        responses: answers({ '202': ['Queued.', 'Retried'], '200': ['A dry run: the count only.', 'RetryCount'] }, '400', '413'),
      },
    },
    '/api/stats': {
      get: {
        operationId: 'getStats',
        summary: "Each destination's success rate and p50/p95 latency, and the events accepted, over a window (what the console charts)",
        parameters: [query('window', '1h (default, one-minute buckets) or 24h (15-minute buckets).', { type: 'string', enum: ['1h', '24h'] })],
        responses: answers({ '200': ['The figures.', 'ActivityReport'] }, '400'),
      },
    },
    '/api/integrations/destinations/{name}/enable': {
      post: {
        operationId: 'enableDestination',
        summary: 'Enable a destination (its queued deliveries go on)',
        parameters: [pathParam('name', 'The destination.')],
        responses: answers({ '200': ['Enabled.', 'DestinationSwitched'] }, '404'),
      },
    },
    '/api/integrations/destinations/{name}/disable': {
      post: {
        operationId: 'disableDestination',
        summary: 'Disable a destination (its deliveries wait, kept)',
        parameters: [pathParam('name', 'The destination.')],
        responses: answers({ '200': ['Disabled.', 'DestinationSwitched'] }, '404'),
      },
    },
    '/api/replay': {
      post: {
        operationId: 'replay',
        summary: 'Backfill a destination from the stored events',
        requestBody: { required: true, ...jsonBody('ReplayRequest') },
        responses: answers({ '202': ['Queued.', 'ReplayResult'], '200': ['A dry run: the count only.', 'ReplayResult'] }, '400', '413'),
      },
    },
    '/api/attempts': {
      get: {
        operationId: 'listAttempts',
        summary: 'The attempt log, newest last',
        parameters: [
          DESTINATION,
          TYPE,
          OUTCOME,
          SINCE,
          query('limit', 'How many of the newest attempts, 1 to 10000 (default 100).', { type: 'integer', minimum: 1, maximum: 10000 }),
          query('after', 'Only attempts with a larger id (for following).', { type: 'integer' }),
        ],
        responses: answers({ '200': ['Attempts.', 'AttemptList'] }, '400'),
      },
    },
    '/api/integrations/status': {
      get: {
        operationId: 'integrationStatus',
        summary: "The daemon's health and each destination's recent figures (what `vidhook status` shows)",
        responses: answers({ '200': ['Status.', 'IntegrationStatus'] }),
      },
    },
    '/api/integrations/connectors': {
      get: {
        operationId: 'listConnectors',
        summary: 'The connector catalogue: kinds, their settings (which are secret) and default events',
        responses: answers({ '200': ['The catalogue.', 'ConnectorCatalogue'] }),
      },
    },
    '/api/integrations/{category}/{connector}/configure': {
      post: {
        operationId: 'configureDestination',
        summary: 'Add or update a runtime destination',
        parameters: [
          { ...pathParam('category', 'The connector\'s category.'), schema: { type: 'string', enum: ['messaging', 'crm', 'cms', 'analytics', 'workflow', 'webhooks'] } },
          pathParam('connector', 'The connector kind, e.g. slack.'),
        ],
        requestBody: { required: true, ...jsonBody('ConfigureRequest') },
        responses: answers({ '201': ['Added.', 'Configured'], '200': ['Updated.', 'Configured'] }, '400', '404', '413'),
      },
    },
    '/api/integrations/webhooks': {
      get: {
        operationId: 'listWebhooks',
        summary: 'Registered webhook endpoints',
        responses: answers({ '200': ['Endpoints.', 'WebhookList'] }),
      },
      post: {
        operationId: 'registerWebhook',
        summary: 'Register a webhook endpoint; its signing secret is shown once',
        requestBody: { required: true, ...jsonBody('WebhookRequest') },
        responses: answers({ '201': ['Registered.', 'WebhookCreated'] }, '400', '413'),
      },
    },
    '/api/integrations/webhooks/{id}': {
      get: {
        operationId: 'getWebhook',
        summary: 'One webhook endpoint',
        parameters: [pathParam('id', 'The endpoint id.')],
        responses: answers({ '200': ['The endpoint.', 'Webhook'] }, '404'),
      },
      delete: {
        operationId: 'removeWebhook',
        summary: 'Remove a webhook endpoint',
        parameters: [pathParam('id', 'The endpoint id.')],
        responses: answers({ '204': ['Removed.'] }, '404'),
      },
    },
    '/api/integrations/webhooks/{id}/rotate-secret': {
      post: {
        operationId: 'rotateWebhookSecret',
        summary: 'A new signing secret; the old one keeps signing alongside it for 24 h',
        parameters: [pathParam('id', 'The endpoint id.')],
        responses: answers({ '200': ['Rotated.', 'RotatedSecret'] }, '404'),
      },
    },
    '/api/integrations/zapier/subscribe': {
      post: {
        operationId: 'zapierSubscribe',
        summary: 'REST Hooks: subscribe a Zapier hook URL',
        requestBody: { required: true, ...jsonBody('ZapierSubscribeRequest') },
        responses: answers({ '201': ['Subscribed.', 'ZapierSubscription'] }, '400', '413'),
      },
    },
    '/api/integrations/zapier/subscribe/{id}': {
      delete: {
        operationId: 'zapierUnsubscribe',
        summary: 'REST Hooks: unsubscribe',
        parameters: [pathParam('id', 'The subscription id.')],
        responses: answers({ '200': ['Unsubscribed.', 'ZapierUnsubscribed'] }, '404'),
      },
    },
    '/api/integrations/zapier/samples/{type}': {
      get: {
        operationId: 'zapierSamples',
        summary: 'REST Hooks: sample data for one event type (perform list)',
        parameters: [pathParam('type', 'An event type.')],
        responses: answers({ '200': ['A sample.', 'ZapierSamples'] }, '404'),
      },
    },
    '/api/integrations/zapier/me': {
      get: {
        operationId: 'zapierMe',
        summary: 'REST Hooks: the auth test',
        responses: answers({ '200': ['The token works.', 'ZapierMe'] }),
      },
    },
    '/api/openapi.json': {
      get: {
        operationId: 'openApiDocument',
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/healthz': {
      get: {
        operationId: 'health',
        summary: 'Liveness (no token needed)',
        security: [],
        responses: { '200': { description: 'Alive.', ...jsonBody('Health') } },
      },
    },
    '/readyz': {
      get: {
        operationId: 'readiness',
        summary: 'Readiness: the store is open and the dispatcher running',
        responses: answers({ '200': ['Ready.', 'Readiness'], '503': ['Not ready.', 'Readiness'] }),
      },
    },
    '/metrics': {
      get: {
        operationId: 'metrics',
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        responses: answers({ '200': ['Metrics.'] }),
      },
    },
  };
}

/** Bodies that are not JSON: their media type and a schema for the text. */
const TEXT_ANSWERS: Record<string, string> = { '/api/deliveries/stream': 'text/event-stream', '/metrics': 'text/plain' };

/** The OpenAPI 3.1 document of the daemon's HTTP API, built from the zod schemas its routes validate and answer with. */
export function openApiDocument(version: string): Json {
  const requests = componentSchemas(requestComponents(), 'input');
  const responses = componentSchemas(responseComponents(), 'output');
  // A custom event is any type but the built-in ones (which their own schemas describe): say so, so `oneOf` picks one.
  const custom = requests.CustomEvent.properties as Json;
  custom.type = { type: 'string', not: { enum: [...BUILTIN_EVENT_TYPES] }, description: 'A type declared under events.custom in the config.' };

  const allPaths = paths();
  for (const [path, media] of Object.entries(TEXT_ANSWERS)) {
    const ok = ((allPaths[path] as Json).get as { responses: Record<string, Json> }).responses['200'];
    ok.content = { [media]: { schema: { type: 'string' } } };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'vidhook daemon API',
      version,
      description:
        'The HTTP API of `vidhook serve`: accept product events of a video platform, store them durably, and deliver them to every destination that takes them. ' +
        'JSON in and out; every error is `{"error": {"code", "message", "details"}}`. ' +
        'When the daemon runs with a token, every route but /healthz and /api/openapi.json needs `Authorization: Bearer <token>`.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: 'http://127.0.0.1:8765', description: 'The daemon on its default address' }],
    security: [{ bearerToken: [] }, {}],
    paths: allPaths,
    components: {
      schemas: { ...requests, ...responses },
      securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer', description: 'The token the daemon was started with (--token or VIDHOOK_TOKEN).' } },
    },
  };
}

/** GET /api/openapi.json: built on the first request, then kept. */
export function openApiRoutes(router: Router, version: string): void {
  let document: Json | undefined;
  router.on('GET', '/api/openapi.json', (_req, res) => {
    document ??= openApiDocument(version);
    sendJson(res, 200, document);
  });
}
