import type { Envelope } from '../../events/index.js';
import { summarize, type EventSummary } from '../messaging/summary.js';
import { CONSOLE_LINK_LABEL, consoleEventUrl } from '../messaging/console-link.js';
import { fitEscaped, linkable, truncate } from '../messaging/text.js';

// Embed limits from Discord's message reference; breaking any of them is a 400 (code 50035).
export const DISCORD_LIMITS = {
  content: 2000,
  username: 80,
  embedTitle: 256,
  embedDescription: 4096,
  embedFields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footerText: 2048,
  authorName: 256,
  embedTotal: 6000,
  url: 2000,
} as const;

const COLORS = { success: 0x57f287, failure: 0xed4245, info: 0x5865f2 } as const;

export interface DiscordEmbedField {
  name: string;
  value: string;
  inline: boolean;
}
export interface DiscordEmbed {
  title?: string;
  url?: string;
  description?: string;
  color: number;
  timestamp?: string;
  author: { name: string };
  fields: DiscordEmbedField[];
  thumbnail?: { url: string };
  footer: { text: string };
}
export interface DiscordMessage {
  content?: string;
  username?: string;
  avatar_url?: string;
  // Nothing in a message may ping, whatever the user text says.
  allowed_mentions: { parse: [] };
  embeds: DiscordEmbed[];
}

export interface DiscordIdentity {
  username?: string;
  avatarUrl?: string;
  /** The console's address: adds an "Open in vidhook" link to the event's page. */
  consoleUrl?: string;
}

/** Backslash-escapes Discord markdown, so user text cannot format, add masked links or render mentions. */
export function escapeDiscordMarkdown(text: string): string {
  return text.replace(/[\\*_~`|[\]<>#]/g, '\\$&');
}

function md(raw: string, max: number): string {
  return fitEscaped(raw, max, escapeDiscordMarkdown);
}

/** The characters Discord counts towards an embed's 6,000. */
export function embedLength(embed: DiscordEmbed): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    embed.author.name.length +
    embed.footer.text.length +
    embed.fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0)
  );
}

// A masked link in a field: the URL is ours (consoleUrl and an event id), and brackets in it are encoded so it cannot end early.
function consoleField(summary: EventSummary, consoleUrl: string | undefined): DiscordEmbedField | undefined {
  const url = linkable(consoleEventUrl(consoleUrl, summary.id), DISCORD_LIMITS.url);
  if (!url) return undefined;
  const target = url.replace(/\(/g, '%28').replace(/\)/g, '%29').replace(/</g, '%3C').replace(/>/g, '%3E');
  const value = `[${CONSOLE_LINK_LABEL}](<${target}>)`;
  return value.length <= DISCORD_LIMITS.fieldValue ? { name: 'Deliveries', value, inline: false } : undefined;
}

function embed(summary: EventSummary, consoleUrl?: string): DiscordEmbed {
  const url = linkable(summary.link?.url, DISCORD_LIMITS.url);
  const result: DiscordEmbed = {
    color: COLORS[summary.tone],
    author: { name: truncate(`${summary.emoji} ${summary.headline}`, DISCORD_LIMITS.authorName) },
    fields: summary.facts.slice(0, DISCORD_LIMITS.embedFields).map((f) => ({
      name: md(f.label, DISCORD_LIMITS.fieldName),
      value: md(f.value, DISCORD_LIMITS.fieldValue),
      inline: !f.long,
    })),
    footer: { text: truncate(`${summary.type} · ${summary.id}`, 200) },
  };
  if (summary.subject) result.title = md(summary.subject, DISCORD_LIMITS.embedTitle);
  if (summary.subject && url) result.url = url;
  if (summary.description) result.description = md(summary.description, DISCORD_LIMITS.embedDescription);
  if (!Number.isNaN(Date.parse(summary.timestamp))) result.timestamp = summary.timestamp;
  const image = linkable(summary.imageUrl, DISCORD_LIMITS.url);
  if (image) result.thumbnail = { url: image };
  const link = consoleField(summary, consoleUrl);
  if (!link) return withinTotal(result, summary);
  // The console link is kept whatever else has to give way to the limits.
  result.fields = result.fields.slice(0, DISCORD_LIMITS.embedFields - 1);
  const fitted = withinTotal(result, summary, link.name.length + link.value.length);
  fitted.fields.push(link);
  return fitted;
}

// The 6,000 total (less what is `reserved` for a field added after) spans every text of the embed: shorten the description, then drop fields from the end.
function withinTotal(result: DiscordEmbed, summary: EventSummary, reserved = 0): DiscordEmbed {
  const total = DISCORD_LIMITS.embedTotal - reserved;
  let over = embedLength(result) - total;
  if (over > 0 && result.description && summary.description) {
    const keep = result.description.length - over;
    if (keep >= 100) result.description = md(summary.description, keep);
    else delete result.description;
    over = embedLength(result) - total;
  }
  while (over > 0 && result.fields.length > 0) {
    result.fields.pop();
    over = embedLength(result) - total;
  }
  return result;
}

/** The Execute Webhook body: the link in `content` so Discord unfurls the video, the facts in one embed. */
export function discordMessage(event: Envelope, identity: DiscordIdentity = {}): DiscordMessage {
  const summary = summarize(event);
  const message: DiscordMessage = { allowed_mentions: { parse: [] }, embeds: [embed(summary, identity.consoleUrl)] };
  const url = linkable(summary.link?.url, DISCORD_LIMITS.url);
  if (url) {
    const line = `${summary.emoji} ${summary.headline}: ${url}`;
    message.content = line.length <= DISCORD_LIMITS.content ? line : url;
  }
  if (identity.username) message.username = truncate(identity.username, DISCORD_LIMITS.username);
  if (identity.avatarUrl) message.avatar_url = identity.avatarUrl;
  return message;
}
