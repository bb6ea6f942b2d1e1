import type { Envelope, User } from '../../events/index.js';

/** What a video (or custom) event becomes in a CRM timeline: a headline and a few lines of detail. */
export interface Activity {
  headline: string;
  details: string[];
  videoUrl?: string;
  outcome: 'started' | 'completed' | 'failed' | 'other';
}

type Fields = Record<string, unknown>;

const record = (value: unknown): Fields | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Fields) : undefined;
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined;

export function clip(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

/** The event's `data.user`, when it names one. */
export function eventUser(event: Envelope): User | undefined {
  const user = record(event.data.user);
  return user && text(user.id) ? (user as User) : undefined;
}

/** First and last name from the user's fields, splitting `name` when the parts are missing. */
export function personName(user: User): { first?: string; last?: string } {
  if (user.firstName || user.lastName) return { first: user.firstName, last: user.lastName };
  const words = user.name?.split(/\s+/).filter(Boolean) ?? [];
  if (words.length === 0) return {};
  if (words.length === 1) return { last: words[0] };
  return { first: words.slice(0, -1).join(' '), last: words.at(-1) };
}

/** A line every CRM record carries so a person (or a script) can trace it back to the event. */
export function eventMarker(event: Envelope): string {
  return `vidhook event ${event.id} (${event.type}, ${event.timestamp})`;
}

const VIDEO_TYPES = new Set(['video.generated', 'video.completed', 'video.failed']);

export function isVideoEvent(type: string): boolean {
  return VIDEO_TYPES.has(type);
}

export function describeActivity(event: Envelope): Activity {
  const video = record(event.data.video) ?? {};
  const error = record(event.data.error) ?? {};
  const title = text(video.title) ?? text(video.id) ?? 'untitled video';
  const videoUrl = text(video.url);
  const details: string[] = [];
  const add = (label: string, value: unknown) => {
    const v = text(value);
    if (v) details.push(`${label}: ${clip(v, 1000)}`);
  };

  let headline: string;
  let outcome: Activity['outcome'];
  switch (event.type) {
    case 'video.generated':
      headline = `Video generation started: ${title}`;
      outcome = 'started';
      break;
    case 'video.completed':
      headline = `Video completed: ${title}`;
      outcome = 'completed';
      break;
    case 'video.failed':
      headline = `Video generation failed: ${title}`;
      outcome = 'failed';
      break;
    default:
      headline = `vidhook event: ${event.type}`;
      outcome = 'other';
  }
  add('Video', videoUrl);
  add('Video id', video.id);
  add('Error', [text(error.code), text(error.message)].filter(Boolean).join(': '));
  add('Prompt', video.prompt);
  add('Model', video.model);
  if (typeof video.durationSec === 'number') details.push(`Duration: ${video.durationSec} s`);
  if (outcome === 'other') details.push(`Data: ${clip(JSON.stringify(event.data), 2000)}`);
  details.push(eventMarker(event));
  return { headline, details, videoUrl, outcome };
}
