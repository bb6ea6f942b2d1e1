import { described, httpUrl } from '../core/settings.js';

// A chat message can link to the event's page in the vidhook console. The console routes in
// the URL's fragment (`#/events/<event id>`), so the link works whatever path the console is
// served under and whether or not consoleUrl ends with a slash.

export const consoleUrlSetting = () =>
  described(
    httpUrl().optional(),
    'Address of the vidhook console (e.g. http://127.0.0.1:8765/console/): each message gets an "Open in vidhook" link to the event and its deliveries.',
  );

export const CONSOLE_LINK_LABEL = 'Open in vidhook';

/** `<consoleUrl>#/events/<event id>`, any fragment of consoleUrl replaced. */
export function consoleEventUrl(consoleUrl: string | undefined, eventId: string): string | undefined {
  if (!consoleUrl) return undefined;
  const url = new URL(consoleUrl);
  url.hash = `/events/${encodeURIComponent(eventId)}`;
  return url.href;
}
