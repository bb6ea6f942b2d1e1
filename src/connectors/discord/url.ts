// User-copied webhook URLs carry no API version and so reach Discord's deprecated default
// (v6); deliveries go to v10 instead, on whatever origin the URL names (proxies, tests).

const WEBHOOK_PATH = /^\/api(?:\/v\d+)?\/webhooks\/(\d+)\/([A-Za-z0-9_.-]+)\/?$/;

export interface DiscordWebhook {
  id: string;
  token: string;
  /** The webhook resource on API v10, keeping the URL's own query (thread_id). */
  resourceUrl: string;
  /** Execute Webhook with wait=true, so a message Discord did not save is an error, not a silent 204. */
  executeUrl: string;
}

export function parseDiscordWebhookUrl(value: string): DiscordWebhook | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  const match = WEBHOOK_PATH.exec(url.pathname);
  if (!match) return undefined;
  const [, id, token] = match;
  url.pathname = `/api/v10/webhooks/${id}/${token}`;
  const resourceUrl = url.href;
  url.searchParams.set('wait', 'true');
  return { id, token, resourceUrl, executeUrl: url.href };
}
