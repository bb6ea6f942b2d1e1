import type { Envelope } from '../../events/index.js';
import { summarize, type EventSummary, type Fact } from '../messaging/summary.js';
import { CONSOLE_LINK_LABEL, consoleEventUrl } from '../messaging/console-link.js';
import { fitEscaped, linkable, truncate } from '../messaging/text.js';

// Block Kit limits (docs.slack.dev block reference); a message over any of them is refused
// with `invalid_blocks`, so each is met here by trimming.
export const SLACK_LIMITS = {
  blocks: 50,
  fallbackText: 3000,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  contextText: 2000,
  imageUrl: 3000,
  altText: 2000,
  linkUrl: 2000,
  actionsElements: 25,
  buttonText: 75,
  buttonUrl: 3000,
  actionId: 255,
} as const;

export interface PlainText {
  type: 'plain_text';
  text: string;
  emoji?: boolean;
}
export interface Mrkdwn {
  type: 'mrkdwn';
  text: string;
}
export interface HeaderBlock {
  type: 'header';
  text: PlainText;
}
export interface ImageElement {
  type: 'image';
  image_url: string;
  alt_text: string;
}
export interface SectionBlock {
  type: 'section';
  text: Mrkdwn;
  fields?: Mrkdwn[];
  accessory?: ImageElement;
}
export interface ContextBlock {
  type: 'context';
  elements: Mrkdwn[];
}
/** A link button: Slack opens its URL (and, for an app with an Interactivity URL, tells the app). */
export interface ButtonElement {
  type: 'button';
  text: PlainText;
  url: string;
  /** Slack requires one on every button, unique within the message. */
  action_id: string;
  style?: 'primary';
}
export interface ActionsBlock {
  type: 'actions';
  elements: ButtonElement[];
}
export type SlackBlock = HeaderBlock | SectionBlock | ActionsBlock | ContextBlock;

export interface SlackMessageOptions {
  /** The console's address: adds an "Open in vidhook" button to the event's page. */
  consoleUrl?: string;
}

export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
  unfurl_links: boolean;
  unfurl_media: boolean;
}

/**
 * Slack's control characters: with them escaped, user text can neither ping (`<!channel>`,
 * `<@U123>`) nor carry a link of its own (`<https://evil|click>`).
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function mrkdwn(raw: string, max: number): string {
  return fitEscaped(raw, max, escapeMrkdwn);
}

// Inside `<url|label>` a `|` or `>` would end the URL early.
function linkTarget(url: string): string {
  return url.replace(/&/g, '&amp;').replace(/\|/g, '%7C').replace(/</g, '%3C').replace(/>/g, '%3E');
}

function link(url: string, label: string, maxLabel: number): string {
  return `<${linkTarget(url)}|${mrkdwn(label, maxLabel)}>`;
}

function field(fact: Fact): Mrkdwn {
  const label = mrkdwn(fact.label, 100);
  return { type: 'mrkdwn', text: `*${label}*\n${mrkdwn(fact.value, SLACK_LIMITS.fieldText - label.length - 3)}` };
}

function mainSection(summary: EventSummary): SectionBlock {
  const url = linkable(summary.link?.url, SLACK_LIMITS.linkUrl);
  const target = url && linkTarget(url).length <= SLACK_LIMITS.linkUrl ? url : undefined;
  const subject = summary.subject ?? summary.headline;
  const title = `*${target && summary.subject ? link(target, subject, 300) : mrkdwn(subject, 300)}*`;
  const lines = [title];
  // The section text holds 3000 characters: the description gets what the title leaves.
  const room = SLACK_LIMITS.sectionText - title.length - 1;
  if (summary.description && room > 20) lines.push(mrkdwn(summary.description, Math.min(2000, room - 1)));
  const section: SectionBlock = { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } };
  const short = summary.facts.filter((f) => !f.long).slice(0, SLACK_LIMITS.sectionFields);
  if (short.length > 0) section.fields = short.map(field);
  const image = linkable(summary.imageUrl, SLACK_LIMITS.imageUrl);
  if (image) section.accessory = { type: 'image', image_url: image, alt_text: truncate(subject, 200) };
  return section;
}

function button(label: string, url: string | undefined, actionId: string, primary = false): ButtonElement | undefined {
  const target = linkable(url, SLACK_LIMITS.buttonUrl);
  if (!target) return undefined;
  const text: PlainText = { type: 'plain_text', text: truncate(label, SLACK_LIMITS.buttonText) };
  return { type: 'button', text, url: target, action_id: actionId, ...(primary ? { style: 'primary' as const } : {}) };
}

// Link buttons: the video, and the event's page in the console when the destination names one.
function actionsBlock(summary: EventSummary, options: SlackMessageOptions): ActionsBlock | undefined {
  const elements = [
    summary.link && button(summary.link.label, summary.link.url, 'vidhook_open_video', true),
    button(CONSOLE_LINK_LABEL, consoleEventUrl(options.consoleUrl, summary.id), 'vidhook_open_console'),
  ].filter((b): b is ButtonElement => b !== undefined);
  return elements.length > 0 ? { type: 'actions', elements } : undefined;
}

function longFactSection(fact: Fact): SectionBlock {
  const label = mrkdwn(fact.label, 100);
  return { type: 'section', text: { type: 'mrkdwn', text: `*${label}*\n${mrkdwn(fact.value, SLACK_LIMITS.sectionText - label.length - 3)}` } };
}

// `<!date^…|fallback>` shows the time in each reader's own time zone.
function when(timestamp: string): string {
  const seconds = Math.floor(Date.parse(timestamp) / 1000);
  if (!Number.isFinite(seconds)) return escapeMrkdwn(timestamp);
  return `<!date^${seconds}^{date_short_pretty} at {time}|${escapeMrkdwn(timestamp)}>`;
}

function contextBlock(summary: EventSummary): ContextBlock {
  const text = `\`${mrkdwn(summary.type, 200)}\` · event id \`${mrkdwn(summary.id, 200)}\` · ${when(summary.timestamp)}`;
  return { type: 'context', elements: [{ type: 'mrkdwn', text: truncate(text, SLACK_LIMITS.contextText) }] };
}

/** A Block Kit message for an incoming webhook, with the plain `text` fallback Slack shows in notifications. */
export function slackMessage(event: Envelope, options: SlackMessageOptions = {}): SlackMessage {
  const summary = summarize(event);
  const actions = actionsBlock(summary, options);
  const blocks: SlackBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(`${summary.emoji} ${summary.headline}`, SLACK_LIMITS.headerText), emoji: true } },
    mainSection(summary),
    ...summary.facts.filter((f) => f.long).map(longFactSection),
    ...(actions ? [actions] : []),
    contextBlock(summary),
  ];
  return {
    text: mrkdwn(`${summary.emoji} ${summary.oneLine}`, SLACK_LIMITS.fallbackText),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
    unfurl_links: false,
    unfurl_media: false,
  };
}
