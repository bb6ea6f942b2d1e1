import type { BuiltinEventType, Envelope } from '../../events/index.js';
import { BUILTIN_EVENT_TYPES, isBuiltinEventType } from '../../events/index.js';
import { classifyResponse } from './classify.js';
import type { Call, ConnectorDefinition, ConnectorRequest, Handler, Session } from './definition.js';
import { AuthError, DeliveryError, PermanentError, SkipDelivery } from './errors.js';
import { withKeyLock } from './key-lock.js';
import { forgetSession, sessionKey, sharedSession } from './sessions.js';
import { secretValuesOf } from './settings.js';
import type { CheckReport, Connector, ConnectorState, ConnectorTarget, DeliveryContext, Http, HttpResponse } from './types.js';

/** Turns a connector's definition into the connector the engine drives. */
export function defineConnector<S, A = undefined>(definition: ConnectorDefinition<S, A>): Connector<S> & { definition: ConnectorDefinition<S, A> } {
  const { check, validate } = definition;
  return {
    definition,
    kind: definition.kind,
    title: definition.title,
    category: definition.category,
    description: definition.description,
    settings: definition.settings,
    defaultEvents: definition.defaultEvents,
    limits: definition.limits,
    warnings: definition.warnings,
    secretValues: (settings) => secretsIn(definition, settings),
    deliver: (event, dest, http, ctx) =>
      drive(definition, dest, http, ctx, (call) => {
        const handler = handlerFor(definition, event.type);
        if (!handler) throw new SkipDelivery(skipReason(definition, event.type));
        return handler(event, call);
      }),
    // What a check or the service's validator says is shown to people: it is masked like a failure.
    ...(check ? { check: (dest, http, ctx) => drive(definition, dest, http, ctx, async (call) => redactReport(await check(call), http)) } : {}),
    ...(validate
      ? { validate: (event, dest, http, ctx) => drive(definition, dest, http, ctx, async (call) => (await validate(event, call)).map((m) => http.redact(m))) }
      : {}),
  };
}

function redactReport(report: string | CheckReport, http: Http): string | CheckReport {
  if (typeof report === 'string') return http.redact(report);
  return {
    detail: http.redact(report.detail),
    ...(report.warnings ? { warnings: report.warnings.map((w) => ({ problem: http.redact(w.problem), fix: http.redact(w.fix) })) } : {}),
  };
}

function secretsIn<S, A>(definition: ConnectorDefinition<S, A>, settings: S): string[] {
  const derived = (definition.secrets?.(settings) ?? []).filter((v): v is string => typeof v === 'string' && v.length > 0);
  return [...secretValuesOf(definition.settings, settings), ...derived];
}

function handlerFor<S, A>(definition: ConnectorDefinition<S, A>, type: string): Handler<S, Envelope, A> | undefined {
  const handler = isBuiltinEventType(type) ? definition.handlers[type] : definition.handlers.custom;
  return handler as Handler<S, Envelope, A> | undefined;
}

function skipReason<S, A>(definition: ConnectorDefinition<S, A>, type: string): string {
  const key = isBuiltinEventType(type) ? (type as BuiltinEventType) : 'custom';
  return definition.skipped?.[key] ?? `the ${definition.title} connector does not take ${type} events`;
}

/** Runs one piece of connector work; whatever it throws leaves with every secret masked. */
async function drive<S, A, T>(
  definition: ConnectorDefinition<S, A>,
  dest: ConnectorTarget<S>,
  http: Http,
  ctx: DeliveryContext,
  work: (call: Call<S, A>) => Promise<T>,
): Promise<T> {
  const call = new EngineCall(definition, dest, http, ctx);
  try {
    return await work(call);
  } catch (err) {
    throw masked(err, http);
  }
}

function masked(err: unknown, http: Http): unknown {
  if (err instanceof SkipDelivery) return new SkipDelivery(http.redact(err.reason));
  if (err instanceof Error) err.message = http.redact(err.message);
  return err;
}

const renewsSession = (failure: DeliveryError) => failure instanceof AuthError && failure.status === 401;

/** A dry run reads what the destination remembers, so it shows updates where the real run would update. */
function readOnly(state: ConnectorState): ConnectorState {
  return { get: (key) => state.get(key), set: async () => undefined, delete: async () => undefined };
}

class EngineCall<S, A> implements Call<S, A> {
  readonly destination: string;
  readonly settings: S;
  readonly dryRun: boolean;
  readonly state: ConnectorState;
  private readonly sessionKey?: string;
  /** A dry run's pretend session, minted once per call like a real one is per destination. */
  private dryRunSession?: Promise<Session<A>>;

  constructor(
    private readonly definition: ConnectorDefinition<S, A>,
    dest: ConnectorTarget<S>,
    private readonly http: Http,
    private readonly ctx: DeliveryContext,
  ) {
    this.destination = dest.name;
    this.settings = dest.settings;
    this.dryRun = http.dryRun;
    this.state = http.dryRun ? readOnly(ctx.state) : ctx.state;
    for (const value of secretsIn(definition, dest.settings)) this.addSecret(value);
    // A dry run mints its own (pretend) session rather than use or keep a real one.
    if (definition.authorize?.mint && !http.dryRun) this.sessionKey = sessionKey(definition.kind, dest.name, dest.settings);
  }

  now(): Date {
    return this.ctx.now();
  }

  addSecret(value: string | undefined): void {
    if (value) this.http.addSecret(value);
  }

  serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
    return withKeyLock(`${this.definition.kind}:${this.destination}:${key}`, work);
  }

  note(message: string): void {
    this.http.note?.(this.http.redact(message));
  }

  async session(): Promise<A> {
    return (await this.currentSession())?.value as A;
  }

  private async currentSession(): Promise<Session<A> | undefined> {
    const mint = this.definition.authorize?.mint;
    if (!mint) return undefined;
    const session = this.sessionKey
      ? await sharedSession(this.sessionKey, this.now().getTime(), () => mint(this))
      : await (this.dryRunSession ??= mint(this));
    for (const value of session.secrets) this.addSecret(value);
    return session;
  }

  async send(request: ConnectorRequest): Promise<HttpResponse> {
    const authorization = request.authorize === false ? undefined : this.definition.authorize;
    for (let renewed = false; ; renewed = true) {
      const session = authorization ? await this.currentSession() : undefined;
      const headers = authorization ? { ...authorization.headers(this.settings, session?.value as A), ...request.headers } : request.headers;
      const { action: _action, authorize: _authorize, ...wire } = request;
      const response = await this.http.request({ ...wire, headers });
      const failure = this.classify(response, request);
      if (!failure) return response;
      if (failure instanceof DeliveryError && session && this.sessionKey && session.renewable !== false && !renewed && renewsSession(failure)) {
        forgetSession(this.sessionKey, session);
        continue;
      }
      throw masked(failure, this.http);
    }
  }

  async sendJson<T>(request: ConnectorRequest): Promise<T> {
    const response = await this.send(request);
    if (!response.body.trim()) return {} as T;
    try {
      return response.json<T>();
    } catch {
      throw masked(new PermanentError(`${request.action ?? `${request.method} ${request.url}`} answered HTTP ${response.status} without JSON`, response.status), this.http);
    }
  }

  private classify(response: HttpResponse, request: ConnectorRequest): DeliveryError | SkipDelivery | undefined {
    const verdict = this.definition.classify?.(response, { settings: this.settings, request, now: this.now() });
    if (verdict === 'ok') return undefined;
    if (verdict) return verdict;
    if (response.status >= 200 && response.status < 300) return undefined;
    // Masked before it is cut to a snippet: a secret cut in half would no longer be recognised.
    const failure = classifyResponse({ ...response, body: this.http.redact(response.body) });
    if (request.action) failure.message = `${request.action} failed: ${failure.message}`;
    return failure;
  }
}

/** The same handler for every event type, custom ones included (webhooks, Zapier, chat messages). */
export function forEveryEvent<S, A = undefined>(handler: Handler<S, Envelope, A>): ConnectorDefinition<S, A>['handlers'] {
  const handlers: ConnectorDefinition<S, A>['handlers'] = { custom: handler };
  for (const type of BUILTIN_EVENT_TYPES) (handlers as Record<string, Handler<S, Envelope, A>>)[type] = handler;
  return handlers;
}
