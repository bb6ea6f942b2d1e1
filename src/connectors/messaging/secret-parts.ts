import type { Http } from '../core/types.js';

/**
 * For the chat and Zapier connectors the webhook URL is the credential. The whole URL is
 * masked, and so is its secret part on its own, in case a service echoes only that part or
 * the connector rewrites the URL around it.
 */
export function maskWebhookUrl(http: Http, url: string, secretParts: Array<string | undefined> = []): void {
  http.addSecret(url);
  for (const part of secretParts) if (part && part.length >= 6) http.addSecret(part);
}
