import {
  isBuiltinEventType,
  type BuiltinEventType,
  type Envelope,
  type EventDataByType,
  type SessionEndedData,
  type SessionStartedData,
  type User,
  type UserRegisteredData,
  type Video,
  type VideoCompletedData,
  type VideoFailedData,
  type VideoGeneratedData,
} from '../../events/index.js';
import { formatDuration, linkable, truncate } from './text.js';

// What a chat message says about an event, before any service's format or escaping:
// Slack, Teams and Discord each render this one summary their own way.

export type Tone = 'success' | 'failure' | 'info';

export interface Fact {
  label: string;
  value: string;
  /** Too long to sit in a narrow column (a prompt): rendered full width. */
  long?: boolean;
}

export interface EventSummary {
  id: string;
  type: string;
  timestamp: string;
  emoji: string;
  /** What happened, in a few words: "Video ready". */
  headline: string;
  tone: Tone;
  /** What or whom it happened to: a video title, a person. User text. */
  subject?: string;
  /** Where to watch or open it. */
  link?: { url: string; label: string };
  /** A longer user text: the video description or the error message. */
  description?: string;
  facts: Fact[];
  imageUrl?: string;
  /** A one-line plain-text version for notifications and screen readers. */
  oneLine: string;
}

// Budgets before escaping; each renderer enforces its own service's limits again afterwards.
export const SUMMARY_LIMITS = { subject: 250, description: 1500, factLabel: 80, factValue: 900, longFactValue: 1500, facts: 10, tags: 20 };

/** A text field as shown: trimmed, and absent when empty. */
function filled(value: string | undefined): string | undefined {
  return value?.trim() || undefined;
}

class FactList {
  readonly items: Fact[] = [];
  add(label: string, value: string | undefined, long = false): this {
    if (value === undefined || value === '' || this.items.length >= SUMMARY_LIMITS.facts) return this;
    const max = long ? SUMMARY_LIMITS.longFactValue : SUMMARY_LIMITS.factValue;
    this.items.push({ label: truncate(label, SUMMARY_LIMITS.factLabel), value: truncate(value, max), ...(long ? { long } : {}) });
    return this;
  }
}

function fullName(user: User): string | undefined {
  return filled(user.name) ?? ([filled(user.firstName), filled(user.lastName)].filter(Boolean).join(' ') || undefined);
}

/** "Maya Chen (maya.chen@example.com)", else whatever identifies the user best. */
export function personLabel(user: User | undefined): string | undefined {
  if (!user) return undefined;
  const name = fullName(user);
  const email = filled(user.email);
  if (name && email) return `${name} (${email})`;
  return name ?? email ?? filled(user.id);
}

function resolution(video: Video): string | undefined {
  return video.width && video.height ? `${video.width}×${video.height}` : undefined;
}

function tagList(video: Video): string | undefined {
  const tags = (video.tags ?? []).filter((t) => t.trim() !== '');
  if (tags.length === 0) return undefined;
  // Whole tags only, and say how many were left out rather than cutting one in half.
  const room = SUMMARY_LIMITS.factValue - ' and 999 more'.length;
  const shown: string[] = [];
  for (const tag of tags.slice(0, SUMMARY_LIMITS.tags)) {
    const next = [...shown, truncate(tag, 100)].join(', ');
    if (next.length > room) break;
    shown.push(truncate(tag, 100));
  }
  const left = tags.length - shown.length;
  return left > 0 ? `${shown.join(', ')} and ${left} more` : shown.join(', ');
}

function durationOf(seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : formatDuration(seconds);
}

function videoFacts(facts: FactList, video: Video, user: User | undefined): void {
  facts
    .add('Duration', durationOf(video.durationSec))
    .add('Resolution', resolution(video))
    .add('Model', filled(video.model))
    .add('Format', filled(video.format))
    .add('Created by', personLabel(user))
    .add('Tags', tagList(video))
    .add('Prompt', filled(video.prompt), true);
}

interface Parts extends Omit<EventSummary, 'id' | 'type' | 'timestamp' | 'oneLine' | 'facts'> {
  facts: FactList;
}

/** A generated or finished video: the same card, told apart by its heading, tone and link label. */
function videoReady(
  style: Pick<Parts, 'emoji' | 'headline' | 'tone'> & { linkLabel: string; showStatus: boolean },
): (data: VideoGeneratedData | VideoCompletedData) => Parts {
  return ({ video, user }) => {
    const facts = new FactList();
    const status = style.showStatus ? filled(video.status) : undefined;
    if (status) facts.add('Status', status);
    videoFacts(facts, video, user);
    const url = linkable(filled(video.url));
    return {
      emoji: style.emoji,
      headline: style.headline,
      tone: style.tone,
      subject: filled(video.title) ?? filled(video.id),
      link: url ? { url, label: style.linkLabel } : undefined,
      description: filled(video.description),
      facts,
      imageUrl: linkable(filled(video.thumbnailUrl)),
    };
  };
}

function videoFailed({ video, error, user }: VideoFailedData): Parts {
  const facts = new FactList()
    .add('Error code', filled(error.code))
    .add('Model', filled(video.model))
    .add('Video ID', filled(video.id))
    .add('Created by', personLabel(user))
    .add('Prompt', filled(video.prompt), true);
  const url = linkable(filled(video.url));
  return {
    emoji: '⚠️',
    headline: 'Video generation failed',
    tone: 'failure',
    subject: filled(video.title) ?? filled(video.id),
    link: url ? { url, label: 'Open video' } : undefined,
    description: filled(error.message),
    facts,
  };
}

function userRegistered({ user }: UserRegisteredData): Parts {
  const place = [filled(user.city), filled(user.country)].filter(Boolean).join(', ') || undefined;
  const facts = new FactList()
    .add('Email', filled(user.email))
    .add('Company', filled(user.company))
    .add('Plan', filled(user.plan))
    .add('Location', place)
    .add('User ID', filled(user.id));
  return { emoji: '👋', headline: 'New user signed up', tone: 'success', subject: fullName(user) ?? filled(user.email) ?? filled(user.id), facts };
}

function sessionStarted({ session, user }: SessionStartedData): Parts {
  const facts = new FactList().add('Session', filled(session.id)).add('Started at', filled(session.startedAt));
  return { emoji: '▶️', headline: 'Session started', tone: 'info', subject: personLabel(user), facts };
}

function sessionEnded({ session, user }: SessionEndedData): Parts {
  const facts = new FactList()
    .add('Duration', durationOf(session.durationSec))
    .add('Videos generated', session.videosGenerated === undefined ? undefined : String(session.videosGenerated))
    .add('Session', filled(session.id))
    .add('Ended at', filled(session.endedAt));
  return { emoji: '⏹️', headline: 'Session ended', tone: 'info', subject: personLabel(user), facts };
}

// A custom event's data is free-form: nothing is typed, so every value is looked at before use.
type Data = Record<string, unknown>;

function record(value: unknown): Data | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Data) : undefined;
}

function text(from: Data | undefined, key: string): string | undefined {
  const value = from?.[key];
  if (typeof value === 'string') return value.trim() || undefined;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A custom event's `user`, when it looks like one: its identifying texts only. */
function customPerson(value: unknown): string | undefined {
  const user = record(value);
  if (!user) return undefined;
  return personLabel({ id: text(user, 'id') ?? '', name: text(user, 'name'), firstName: text(user, 'firstName'), lastName: text(user, 'lastName'), email: text(user, 'email') });
}

// Show the data's leaves as facts, in order.
function leaves(value: unknown, path: string, out: Array<[string, string]>, depth = 0): void {
  if (out.length > SUMMARY_LIMITS.facts || depth > 4) return;
  if (value === null || value === undefined) return;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    if (String(value).trim() !== '') out.push([path, String(value)]);
  } else if (Array.isArray(value)) {
    if (value.every((v) => typeof v !== 'object' || v === null)) {
      if (value.length > 0) out.push([path, value.map(String).join(', ')]);
    } else value.forEach((v, i) => leaves(v, `${path}[${i}]`, out, depth + 1));
  } else {
    for (const [key, v] of Object.entries(value as Data)) leaves(v, path ? `${path}.${key}` : key, out, depth + 1);
  }
}

function custom(type: string, data: Data): Parts {
  const found: Array<[string, string]> = [];
  leaves(data, '', found);
  const facts = new FactList();
  for (const [label, value] of found) facts.add(label, value, value.length > 200);
  const video = record(data.video);
  const url = linkable(text(video, 'url') ?? text(data, 'url'));
  return {
    emoji: '📣',
    headline: type,
    tone: 'info',
    subject: text(video, 'title') ?? text(data, 'title') ?? customPerson(data.user),
    link: url ? { url, label: 'Open' } : undefined,
    facts,
  };
}

const videoGenerated = videoReady({ emoji: '🎞️', headline: 'Video generated', tone: 'info', linkLabel: 'Open video', showStatus: true });
const videoCompleted = videoReady({ emoji: '🎬', headline: 'Video ready', tone: 'success', linkLabel: 'Watch video', showStatus: false });

const BUILDERS: { [T in BuiltinEventType]: (data: EventDataByType[T]) => Parts } = {
  'video.generated': videoGenerated,
  'video.completed': videoCompleted,
  'video.failed': videoFailed,
  'user.registered': userRegistered,
  'session.started': sessionStarted,
  'session.ended': sessionEnded,
};

function partsOf(event: Envelope): Parts {
  if (!isBuiltinEventType(event.type)) return custom(event.type, record(event.data) ?? {});
  // A built-in type's data was validated at ingest by the schema its type comes from (dataSchemas).
  const build = BUILDERS[event.type] as (data: unknown) => Parts;
  return build(event.data);
}

export function summarize(event: Envelope): EventSummary {
  const parts = partsOf(event);
  const subject = parts.subject === undefined ? undefined : truncate(parts.subject, SUMMARY_LIMITS.subject);
  const description = parts.description === undefined ? undefined : truncate(parts.description, SUMMARY_LIMITS.description);
  const duration = parts.facts.items.find((f) => f.label === 'Duration')?.value;
  const oneLine = `${parts.headline}${subject ? `: ${subject}` : ''}${duration ? ` (${duration})` : ''}`;
  return {
    ...parts,
    id: event.id,
    type: event.type,
    timestamp: event.timestamp,
    subject,
    description,
    facts: parts.facts.items,
    oneLine,
  };
}
