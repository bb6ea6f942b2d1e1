import type { z } from 'zod';
import type { Envelope } from '../../events/index.js';

export type Category = 'messaging' | 'crm' | 'cms' | 'analytics' | 'marketing' | 'billing' | 'workflow' | 'webhooks';
export const CATEGORIES: readonly Category[] = ['messaging', 'crm', 'cms', 'analytics', 'marketing', 'billing', 'workflow', 'webhooks'];

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD';
  url: string;
  headers?: Record<string, string>;
  /** Sent as is. Use `json` for a JSON body (serialised once, content-type set). */
  body?: string | Buffer;
  json?: unknown;
  /** What a dry run answers for this request, so multi-step connectors can go on. */
  dryRunResponse?: { status: number; body: unknown; headers?: Record<string, string> };
  /** Longest response body to read, in bytes (default 1 MiB). */
  maxResponseBytes?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as UTF-8 text; `bytes` holds it unchanged (files, images). */
  body: string;
  bytes: Buffer;
  json<T = unknown>(): T;
}

/**
 * The one door to the network: it sends, records and masks, and answers every status as it
 * came; the connector engine classifies the answers.
 */
export interface Http {
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Masks a value learnt at run time (an OAuth token) in everything recorded. */
  addSecret(value: string): void;
  /** A text with every known secret masked. */
  redact(text: string): string;
  /** Keeps a remark about a delivery that succeeded all the same (shown with the attempt). */
  note?(message: string): void;
  readonly dryRun: boolean;
}

/** What a credentials check found: a line for people, and settings that will not work for this user. */
export interface CheckReport {
  detail: string;
  warnings?: Array<{ problem: string; fix: string }>;
}

/** Durable key/value state a connector keeps per destination (a post id per video, a cached token). */
export interface ConnectorState {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface DeliveryContext {
  state: ConnectorState;
  now(): Date;
}

/** What a connector sees of its destination. */
export interface ConnectorTarget<S> {
  name: string;
  settings: S;
}

/** A connector as the engine drives it, compiled from its definition by `defineConnector`. */
export interface Connector<S = Record<string, unknown>> {
  kind: string;
  title: string;
  category: Category;
  description: string;
  /** A zod object; secret fields are marked with `secret()` from ./settings.js. */
  settings: z.ZodObject<z.ZodRawShape> & z.ZodType<S>;
  defaultEvents: string[];
  deliver(event: Envelope, dest: ConnectorTarget<S>, http: Http, ctx: DeliveryContext): Promise<void>;
  /** Every credential in these settings: the secret ones and those derived from others (a URL's token part). */
  secretValues(settings: S): string[];
  /** A cheap credentials check for `destinations test` and `doctor`. */
  check?(dest: ConnectorTarget<S>, http: Http, ctx: DeliveryContext): Promise<string | CheckReport | void>;
  /** Asks the service to validate the event without recording it (GA4's debug endpoint); returns its messages. */
  validate?(event: Envelope, dest: ConnectorTarget<S>, http: Http, ctx: DeliveryContext): Promise<string[]>;
  /** A warning for settings that work but look unusual (a host that is not the service's own). */
  warnings?(settings: S): string[];
  limits?: { concurrency?: number; perSecond?: number };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConnector = Connector<any>;
