import type { z } from 'zod';
import type { BuiltinEventType, Envelope, EventDataByType } from '../../events/index.js';
import type { DeliveryError, SkipDelivery } from './errors.js';
import type { Category, CheckReport, ConnectorState, HttpRequest, HttpResponse } from './types.js';

/** An event of one built-in type, its data typed by the schema it was validated with at ingest. */
export type TypedEvent<T extends BuiltinEventType> = Envelope<EventDataByType[T]> & { type: T };

export interface ConnectorRequest extends HttpRequest {
  /** What the request does, in words for messages: "the contact upsert". */
  action?: string;
  /** `false` sends it without the definition's authorization (the token request itself). */
  authorize?: boolean;
}

/**
 * How a connector reads one answer: `'ok'`, the failure it means, a skip (the service says this
 * event has no place there, e.g. a forgotten address), or `undefined` for the generic rule
 * (2xx is ok; otherwise SPEC §6: 408/425/429/5xx retried, 410 gone, other 4xx final).
 */
export type Classification = 'ok' | DeliveryError | SkipDelivery | undefined;

export interface ClassifyContext<S> {
  settings: S;
  request: ConnectorRequest;
  now: Date;
}

/** A session minted for a destination (an OAuth token and what came with it). */
export interface Session<A> {
  value: A;
  /** Values to mask wherever the session's requests are recorded. */
  secrets: string[];
  /** When to mint a new one without waiting for a refusal (epoch ms). */
  expiresAt?: number;
  /** `false` for a static credential: minting again would give the same refused value. */
  renewable?: boolean;
}

/** One delivery's (or check's) view of its destination: all a handler is given besides its event. */
export interface Call<S, A = undefined> {
  readonly destination: string;
  readonly settings: S;
  /** Nothing is sent and state writes are ignored; most handlers need not look. */
  readonly dryRun: boolean;
  /** This destination's durable memory; in a dry run reads see the real state and writes are dropped. */
  readonly state: ConnectorState;
  now(): Date;
  /** Sends a request, authorized and classified by the definition; a failure is thrown as a DeliveryError. */
  send(request: ConnectorRequest): Promise<HttpResponse>;
  /** `send`, then the answer's JSON (`{}` for an empty body). */
  sendJson<T>(request: ConnectorRequest): Promise<T>;
  /** The destination's shared session, minted when there is none (or it expired). */
  session(): Promise<A>;
  /** Masks a value learnt at run time in everything recorded and thrown. */
  addSecret(value: string | undefined): void;
  /** Runs `work` after any earlier work with the same key on this destination has finished. */
  serialized<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Records a remark on a delivery that still succeeds (a part left out, and why); masked like errors. */
  note(message: string): void;
}

export type Handler<S, E, A> = (event: E, call: Call<S, A>) => Promise<void>;

/** One handler per built-in event type the connector takes; `custom` takes the config's custom types. */
export type Handlers<S, A> = { [T in BuiltinEventType]?: Handler<S, TypedEvent<T>, A> } & {
  custom?: Handler<S, Envelope, A>;
};

export interface Authorization<S, A> {
  /**
   * Mints the session the headers are built from (an OAuth token). One mint at a time per
   * destination and credentials; concurrent deliveries share it. A request refused with 401 is
   * sent once more with a fresh session.
   */
  mint?(call: Call<S, A>): Promise<Session<A>>;
  /** The headers every authorized request carries. */
  headers(settings: S, session: A): Record<string, string>;
}

/** What a connector declares; `defineConnector` turns it into what the engine drives. */
export interface ConnectorDefinition<S, A = undefined> {
  kind: string;
  title: string;
  category: Category;
  description: string;
  /** A zod object; secret fields are marked with `secret()` from ./settings.js. */
  settings: z.ZodObject<z.ZodRawShape> & z.ZodType<S>;
  defaultEvents: string[];
  limits?: { concurrency?: number; perSecond?: number };
  /** Credentials inside settings that are not settings of their own (a webhook URL's token part). */
  secrets?(settings: S): Array<string | undefined>;
  authorize?: Authorization<S, A>;
  /** Called for every answer the connector receives; nothing bypasses it. */
  classify?(response: HttpResponse, context: ClassifyContext<S>): Classification;
  handlers: Handlers<S, A>;
  /** Why each event type without a handler is skipped (a generic reason otherwise). */
  skipped?: Partial<Record<BuiltinEventType | 'custom', string>>;
  /** A cheap credentials check for `destinations test` and `doctor`: says what it found (and what will not work). */
  check?(call: Call<S, A>): Promise<string | CheckReport>;
  /** Asks the service to validate the event without recording it (GA4's debug endpoint). */
  validate?(event: Envelope, call: Call<S, A>): Promise<string[]>;
  /** Settings that work but look unusual (a host that is not the service's own). */
  warnings?(settings: S): string[];
}
