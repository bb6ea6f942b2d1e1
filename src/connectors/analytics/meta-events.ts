// What each product event is called at Meta and what custom_data it carries: the one mapping
// the meta connector (Conversions API) and `vidhook/browser` (the Pixel) share. Meta
// deduplicates a Pixel event and a server event with the same name and event id, so the names
// must never drift apart. No node:* or zod imports: it ships to browsers.
import type { Envelope } from '../../events/envelope.js';
import { isBuiltinEventType } from '../../events/catalog.js';
import type { Video } from '../../events/schemas.js';
import type { TypedEvent } from '../core/definition.js';

/** What an event type makes of its event: its Meta name and custom_data. */
export interface MetaEventSpec {
  name: string;
  customData: Array<[string, unknown]>;
  /** It never happens in front of the user, whatever page they were on. */
  systemGenerated?: boolean;
}

/** The built-in types Meta takes: conversions. */
export type MetaEventType = 'user.registered' | 'video.generated' | 'video.completed';

const videoData = (video: Video): Array<[string, unknown]> => [
  ['content_ids', [video.id]],
  ['content_name', video.title || undefined],
  ['content_type', 'product'],
  ['model', video.model || undefined],
  ['duration_sec', video.durationSec],
];

/** One rendering per built-in type Meta takes, from its typed data. */
export type MetaRenderings = { [T in MetaEventType]: (event: TypedEvent<T>) => MetaEventSpec };

export const META_EVENTS: MetaRenderings = {
  'user.registered': ({ data }) => ({ name: 'CompleteRegistration', customData: [['plan', data.user.plan || undefined]] }),
  'video.generated': ({ data }) => ({ name: 'VideoGenerationStarted', customData: videoData(data.video) }),
  // Completion happens on the render farm, not in front of the user, whatever page they were on.
  'video.completed': ({ data }) => ({ name: 'VideoGenerationCompleted', customData: videoData(data.video), systemGenerated: true }),
};

/** The Pixel's standard events (`fbq('track', …)`); any other name is a custom one (`fbq('trackCustom', …)`). */
export const META_STANDARD_EVENTS: ReadonlySet<string> = new Set([
  'AddPaymentInfo', 'AddToCart', 'AddToWishlist', 'CompleteRegistration', 'Contact', 'CustomizeProduct', 'Donate',
  'FindLocation', 'InitiateCheckout', 'Lead', 'PageView', 'Purchase', 'Schedule', 'Search', 'StartTrial',
  'SubmitApplication', 'Subscribe', 'ViewContent',
]);

/** `order.paid` → `OrderPaid`: Meta custom event names are at most 50 characters. */
export function customEventName(type: string): string {
  const pascal = type
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0].toUpperCase() + word.slice(1))
    .join('');
  return (pascal || 'CustomEvent').slice(0, 50);
}

export function isMetaEventType(type: string): type is MetaEventType {
  return type === 'user.registered' || type === 'video.generated' || type === 'video.completed';
}

/** A custom event type as a custom Meta event that names its vidhook type. */
export function customEventSpec(type: string): MetaEventSpec {
  return { name: customEventName(type), customData: [['vidhook_event_type', type]] };
}

/** What any event is at Meta, or undefined for a built-in type Meta is not sent (the connector's NOT_SENT says why). */
export function metaEventSpec(event: Envelope): MetaEventSpec | undefined {
  if (!isBuiltinEventType(event.type)) return customEventSpec(event.type);
  if (!isMetaEventType(event.type)) return undefined;
  // A built-in type's data has its type's shape (validated at ingest, or checked by the caller).
  const render = META_EVENTS[event.type] as (event: Envelope) => MetaEventSpec;
  return render(event);
}

/** The custom_data object: the spec's values that are set. */
export function metaCustomData(spec: MetaEventSpec): Record<string, unknown> {
  return Object.fromEntries(spec.customData.filter(([, value]) => value !== undefined));
}
