// What a connector imports: the definition's types, the engine's entry point, errors and setting helpers.
export type { Authorization, Call, Classification, ClassifyContext, ConnectorDefinition, ConnectorRequest, Handler, Handlers, Session, TypedEvent } from './definition.js';
export { defineConnector, forEveryEvent } from './engine.js';
export { AuthError, DeliveryError, EndpointGoneError, PayloadValidationError, PermanentError, RetryableError, SkipDelivery } from './errors.js';
export { classifyResponse, isRetryableStatus, MAX_RETRY_AFTER_MS, parseRetryAfter } from './classify.js';
export { baseUrl, described, httpUrl, secret } from './settings.js';
export { maskSecret } from './masking.js';
export type { CheckReport, Http, HttpRequest, HttpResponse } from './types.js';
export { snippet, truncate } from './text.js';
