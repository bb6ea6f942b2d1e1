import type { NewAttempt } from './types.js';

const MAX_RECORDED_BODY = 16 * 1024;

/** An attempt as its row keeps it: the exchanges as one JSON text, long bodies cut. */
export type AttemptRow = Omit<NewAttempt, 'exchanges'> & { exchanges: string };

function truncate(text: string | undefined): string | undefined {
  if (text === undefined || text.length <= MAX_RECORDED_BODY) return text;
  return `${text.slice(0, MAX_RECORDED_BODY)}… (${text.length - MAX_RECORDED_BODY} more characters)`;
}

/**
 * Built where the attempt was made: one string crosses to the store's thread far more cheaply
 * than the nested exchanges would be cloned.
 */
export function attemptRow(attempt: NewAttempt): AttemptRow {
  const long = (text: string | undefined) => text !== undefined && text.length > MAX_RECORDED_BODY;
  if (!attempt.exchanges.some((x) => long(x.request.body) || long(x.response?.body))) {
    return { ...attempt, exchanges: JSON.stringify(attempt.exchanges) };
  }
  const exchanges = attempt.exchanges.map((x) => ({
    ...x,
    request: { ...x.request, body: truncate(x.request.body) },
    ...(x.response ? { response: { ...x.response, body: truncate(x.response.body)! } } : {}),
  }));
  return { ...attempt, exchanges: JSON.stringify(exchanges) };
}
