import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { parseJson } from '../events/index.js';

/** What every 4xx and 5xx answer holds. */
export const apiErrorSchema = z.object({
  error: z.object({
    code: z.string().describe('A stable, machine-readable reason, e.g. invalid_event, not_found, unauthorized.'),
    message: z.string().describe('What went wrong and what to change, for people.'),
    details: z
      .union([
        z.array(
          z.object({
            index: z.number().int().nonnegative().optional().describe('The event in the batch (0-based).'),
            path: z.string().describe('The field, e.g. data.user.email.'),
            message: z.string(),
          }),
        ),
        z.record(z.string(), z.unknown()),
      ])
      .optional()
      .describe('Per-field problems of an invalid event (one entry per field), or the setting a registration got wrong.'),
  }),
});

/** An answer to a caller's mistake (4xx) or the daemon's own trouble (5xx), in the API's error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  const error = { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) };
  sendJson(res, err.status, { error }, err.headers);
}

/** How deep objects and arrays may nest in a body: far beyond any event, far below what recursion survives. */
export const MAX_JSON_DEPTH = 64;

/** Whether a JSON text nests deeper than `max` (brackets inside strings do not count). */
export function nestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** Reads a JSON body up to `limit` bytes; larger bodies are refused with 413 before they are parsed. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  // Refused unread: the server closes the connection rather than read it.
  if (Number.isFinite(declared) && declared > limit) {
    throw new ApiError(413, 'body_too_large', `the body is ${declared} bytes; the limit is ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new ApiError(413, 'body_too_large', `the body is over the limit of ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new ApiError(400, 'too_deep', `the body nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`);
  }
  try {
    return parseJson(text);
  } catch (err) {
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
}

export function queryOf(req: IncomingMessage): URLSearchParams {
  return new URL(req.url ?? '/', 'http://localhost').searchParams;
}

export function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new ApiError(400, 'invalid_request', 'the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}
