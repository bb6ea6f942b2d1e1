import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { ApiError } from './http-utils.js';

// A web page in the operator's browser can reach 127.0.0.1: these checks keep it from driving the API.

export interface RequestGuardOptions {
  /** The host the daemon was asked to bind (a name or an address). */
  host: string;
  /** Whether it binds every interface (0.0.0.0, ::): clients then use names we cannot know; a token is required there. */
  wildcard: boolean;
  /** Origins (`https://console.example.com`) whose pages may call the API. */
  allowedOrigins: readonly string[];
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

/** The host part of a Host header or an origin, lower-cased and without brackets or port. */
function hostOf(value: string): string | undefined {
  try {
    return new URL(`http://${value}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return undefined;
  }
}

function isLoopbackName(host: string): boolean {
  if (LOOPBACK_NAMES.includes(host) || host.endsWith('.localhost')) return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/** `application/json` or a `+json` type, with any parameters. */
function isJsonType(value: string | undefined): boolean {
  if (!value) return false;
  const type = value.split(';')[0].trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/**
 * Refuses what only a web page would send: a Host that is not one of the daemon's names (DNS
 * rebinding), an Origin of another site, and a body that is not JSON (a form or `text/plain` post
 * goes out without a CORS preflight).
 */
export function guardRequest(req: IncomingMessage, options: RequestGuardOptions): void {
  const rawHost = req.headers.host;
  if (rawHost !== undefined && !options.wildcard) {
    const host = hostOf(rawHost);
    const bound = options.host.replace(/^\[|\]$/g, '').toLowerCase();
    if (host === undefined || (host !== bound && !isLoopbackName(host))) {
      throw new ApiError(
        421,
        'wrong_host',
        `Host "${rawHost}" is not a name this daemon answers to (${[bound, ...LOOPBACK_NAMES.filter((n) => n !== bound)].join(', ')}); set server.host to the name clients use`,
      );
    }
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== '') {
    const sameOrigin = rawHost !== undefined && origin.toLowerCase() === `http://${rawHost.toLowerCase()}`;
    if (!sameOrigin && !options.allowedOrigins.includes(origin.replace(/\/+$/, ''))) {
      throw new ApiError(403, 'forbidden_origin', `requests from pages at ${origin} are refused; list the origin in server.allowedOrigins to allow it`);
    }
  }
  if (hasBody(req) && !isJsonType(req.headers['content-type'])) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      `the body must be sent as Content-Type: application/json (got ${req.headers['content-type'] ? `"${req.headers['content-type']}"` : 'none'})`,
    );
  }
}
