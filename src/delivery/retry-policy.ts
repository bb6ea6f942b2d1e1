/** Svix's schedule: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
/** The CLI delivering in-process tries a few times quickly, then leaves the rest to replay. */
export const SHORT_RETRY_SCHEDULE_MS = [0, 1_000, 2_000];

export interface RetryPolicy {
  /** Delay before each attempt; its length is the attempt budget. */
  schedule: number[];
  /** ± fraction applied to scheduled delays. */
  jitter: number;
  /** A delivery also gives up once this old, if it has had at least `minAttempts`. */
  deadlineMs?: number;
  minAttempts?: number;
  /** Longest delay a service may ask for before the delivery is failed instead (the CLI's short policy). */
  maxDelayMs?: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  schedule: DEFAULT_RETRY_SCHEDULE_MS,
  jitter: 0.2,
  deadlineMs: 3 * 24 * 3_600_000,
  minAttempts: 3,
};

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/**
 * After `attempts` failed tries, when to try again: never earlier than the schedule (jitter only
 * adds), and a delay the service names is used as given when it is longer.
 */
export function decideRetry(
  policy: RetryPolicy,
  attempts: number,
  ageMs: number,
  serviceDelayMs: number | undefined,
  random: () => number = Math.random,
): RetryDecision {
  if (attempts >= policy.schedule.length) return { retry: false, reason: `gave up after ${attempts} attempts` };
  if (policy.deadlineMs !== undefined && ageMs >= policy.deadlineMs && attempts >= (policy.minAttempts ?? 1)) {
    return { retry: false, reason: `gave up after ${attempts} attempts over ${Math.round(ageMs / 3_600_000)} h` };
  }
  const scheduled = policy.schedule[attempts];
  const delayMs =
    serviceDelayMs !== undefined && serviceDelayMs >= scheduled
      ? serviceDelayMs
      : Math.round(scheduled * (1 + policy.jitter * random()));
  if (policy.maxDelayMs !== undefined && delayMs > policy.maxDelayMs) {
    return { retry: false, reason: `the service asked to wait ${Math.round(delayMs / 1000)} s; retry later with \`vidhook deliveries retry\`` };
  }
  return { retry: true, delayMs };
}
