import { z } from 'zod';
import { baseUrl, described, secret } from '../core/settings.js';

/** `video.durationSec`: names into the event's data, the first starting with a letter or `_`. */
const DOT_PATH = /^[A-Za-z_$][\w$]*(\.[\w$]+)*$/;
const dotPath = () => z.string().trim().regex(DOT_PATH, { message: 'must be a dot path into the event data, e.g. video.durationSec' });

/** Stripe's own limit on a meter's `event_name`. */
export const EVENT_NAME_MAX = 100;

const secretKey = z
  .string()
  .trim()
  .superRefine((key, ctx) => {
    if (/^(sk|rk)_[A-Za-z0-9_]{8,}$/.test(key)) return;
    const message = key.startsWith('pk_')
      ? 'is a publishable key (pk_…), which cannot write meter events: use a secret key (sk_…) or a restricted key (rk_…)'
      : 'must be a Stripe secret key (sk_…) or restricted key (rk_…)';
    ctx.addIssue({ code: 'custom', message });
  });

const meter = z
  .object({
    eventName: z.string().trim().min(1).max(EVENT_NAME_MAX, { message: `must be at most ${EVENT_NAME_MAX} characters (Stripe's limit)` }),
    value: z.union([z.number().int().nonnegative(), dotPath()]).default(1),
    round: z.enum(['up', 'down', 'nearest']).optional(),
  })
  .strict();

export type MeterSetting = z.output<typeof meter>;

export const stripeSettings = z.object({
  secretKey: secret(secretKey, 'A secret key (sk_live_…) or a restricted key (rk_live_…) with "Billing meter events: write".'),
  meters: described(
    z
      .record(z.string().trim().min(1), meter)
      .refine((meters) => Object.keys(meters).length > 0, { message: 'must name at least one event type' }),
    'Per event type, the meter it counts on: JSON such as {"video.completed": {"eventName": "videos"}, "session.ended": {"eventName": "studio_seconds", "value": "session.durationSec"}}. value is a whole number or a dot path into the event data (default 1); round (up, down, nearest) makes whole units of a fractional value.',
  ),
  customerIdPath: described(dotPath().default('user.stripeCustomerId'), 'Where the Stripe customer id (cus_…) is in the event data (default user.stripeCustomerId).'),
  baseUrl: described(baseUrl(), 'Replaces https://api.stripe.com (proxies, tests).'),
});

export type StripeSettings = z.output<typeof stripeSettings>;
