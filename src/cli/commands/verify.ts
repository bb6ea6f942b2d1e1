import { readFileSync } from 'node:fs';
import { verify as verifySignature, WebhookVerificationError } from '../../signing/standard-webhooks.js';
import { UsageError, FailedError } from '../errors.js';
import { Output, type GlobalOptions } from '../output.js';

interface VerifyOptions {
  secret?: string;
  id?: string;
  timestamp?: string;
  signature?: string;
  headers?: string;
  tolerance?: boolean;
}

function readHeaderFile(path: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --headers ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k.toLowerCase(), String(v)]));
  } catch {
    const headers: Record<string, string> = {};
    for (const line of text.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return headers;
  }
}

async function readBody(file: string | undefined): Promise<Buffer> {
  if (file && file !== '-') {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  if (process.stdin.isTTY) throw new UsageError('give the raw body as a file argument or on stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export default async function verify([bodyFile]: string[], options: VerifyOptions, globals: GlobalOptions): Promise<number> {
  const out = new Output(globals);
  const secret = options.secret ?? process.env.VIDHOOK_WEBHOOK_SECRET;
  if (!secret) throw new UsageError('--secret is required (or set VIDHOOK_WEBHOOK_SECRET)');
  const headers = options.headers ? readHeaderFile(options.headers) : {};
  if (options.id) headers['webhook-id'] = options.id;
  if (options.timestamp) headers['webhook-timestamp'] = options.timestamp;
  if (options.signature) headers['webhook-signature'] = options.signature;
  const body = await readBody(bodyFile);
  try {
    verifySignature(secret, headers, body, options.tolerance === false ? { toleranceSec: Number.MAX_SAFE_INTEGER } : {});
  } catch (err) {
    if (!(err instanceof WebhookVerificationError)) throw err;
    if (out.json) out.data({ valid: false, reason: err.message });
    else out.line(`${out.color.red('✗ invalid')}: ${err.message}`);
    throw new FailedError(`signature is not valid: ${err.message}`, 'invalid_signature_check');
  }
  if (out.json) out.data({ valid: true, id: headers['webhook-id'] ?? headers['svix-id'] });
  else out.line(`${out.color.green('✓ valid')} signature for ${headers['webhook-id'] ?? headers['svix-id']}`);
  return 0;
}
