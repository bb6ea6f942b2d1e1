// The Measurement Protocol's naming rules and limits (developers.google.com/analytics/devguides/collection/protocol/ga4).

export const GA4_LIMITS = {
  eventsPerRequest: 25,
  paramsPerEvent: 25,
  userProperties: 25,
  nameLength: 40,
  paramValueLength: 100,
  userPropertyNameLength: 24,
  userPropertyValueLength: 36,
  userIdLength: 256,
  bodyBytes: 130_000,
  /** How far back timestamp_micros may reach. */
  backdateMs: 72 * 60 * 60 * 1000,
} as const;

/** Longer limits for the few params GA4 documents as exceptions. */
export const LONG_PARAM_LIMITS: Readonly<Record<string, number>> = { page_title: 300, page_referrer: 420, page_location: 1000 };

export const RESERVED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'ad_activeview', 'ad_click', 'ad_exposure', 'ad_impression', 'ad_query', 'adunit_exposure',
  'app_clear_data', 'app_install', 'app_update', 'app_remove', 'error', 'first_open', 'first_visit',
  'in_app_purchase', 'notification_dismiss', 'notification_foreground', 'notification_open',
  'notification_receive', 'os_update', 'screen_view', 'session_start', 'user_engagement',
  // Web enhanced measurement and app-store events.
  'click', 'file_download', 'form_start', 'form_submit', 'page_view', 'scroll', 'view_search_results',
  'video_start', 'video_progress', 'video_complete',
  'app_store_refund', 'app_store_subscription_cancel', 'app_store_subscription_renew', 'app_store_subscription_convert',
]);

export const RESERVED_PREFIXES = ['_', 'firebase_', 'ga_', 'google_', 'gtag.'] as const;
export const RESERVED_PARAM_NAMES: ReadonlySet<string> = new Set(['firebase_conversion']);
export const RESERVED_USER_PROPERTY_NAMES: ReadonlySet<string> = new Set([
  'first_open_time', 'first_visit_time', 'last_deep_link_referrer', 'user_id', 'first_open_after_install',
]);

const NAME_SHAPE = /^[A-Za-z][A-Za-z0-9_]*$/;

function hasReservedPrefix(name: string): boolean {
  return RESERVED_PREFIXES.some((prefix) => name.toLowerCase().startsWith(prefix));
}

/** Why GA4 would refuse this event name, or undefined when it is fine. */
export function eventNameProblem(name: string): string | undefined {
  if (name.length > GA4_LIMITS.nameLength) return `is longer than ${GA4_LIMITS.nameLength} characters`;
  if (!NAME_SHAPE.test(name)) return 'must start with a letter and hold only letters, digits and underscores';
  if (RESERVED_EVENT_NAMES.has(name)) return 'is reserved by Google Analytics';
  if (hasReservedPrefix(name)) return 'starts with a reserved prefix';
  return undefined;
}

export function isValidParamName(name: string): boolean {
  return (
    name.length <= GA4_LIMITS.nameLength &&
    NAME_SHAPE.test(name) &&
    !RESERVED_PARAM_NAMES.has(name) &&
    !hasReservedPrefix(name)
  );
}

export function isValidUserPropertyName(name: string): boolean {
  return (
    name.length <= GA4_LIMITS.userPropertyNameLength &&
    NAME_SHAPE.test(name) &&
    !RESERVED_USER_PROPERTY_NAMES.has(name) &&
    !hasReservedPrefix(name)
  );
}

/** `videoGenerated.at-Start` → `video_generated_at_start`: a snake_case GA4 name, or undefined when nothing usable is left. */
export function toGa4Name(raw: string, maxLength: number = GA4_LIMITS.nameLength): string | undefined {
  const snake = raw
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^[^a-z]+/, '')
    .replace(/_+$/, '');
  const cut = snake.slice(0, maxLength).replace(/_+$/, '');
  return cut.length > 0 ? cut : undefined;
}

// customEventName ships to browsers too (vidhook/browser): a yes/no check keeps eventNameProblem's texts out of it.
const usableEventName = (name: string): boolean =>
  name.length <= GA4_LIMITS.nameLength && NAME_SHAPE.test(name) && !RESERVED_EVENT_NAMES.has(name) && !hasReservedPrefix(name);

/** A custom event type as a GA4 event name that is valid and not reserved (`error` → `app_error`). */
export function customEventName(type: string): string {
  const base = toGa4Name(type) ?? 'custom_event';
  const name = usableEventName(base) ? base : toGa4Name(`app_${base}`)!;
  return usableEventName(name) ? name : 'custom_event';
}
