import type { Envelope } from '../../events/index.js';
import { summarize, type EventSummary } from '../messaging/summary.js';
import { CONSOLE_LINK_LABEL, consoleEventUrl } from '../messaging/console-link.js';
import { fitEscaped, linkable, truncate } from '../messaging/text.js';

// Teams renders Adaptive Cards up to 1.5; a Workflows flow fails to post a message over
// about 28 KB after the webhook already answered 202, so the size is kept well under.
export const TEAMS_LIMITS = { messageBytes: 27 * 1024, facts: 10, factTitle: 100, factValue: 500, title: 300, description: 1500, url: 2000 } as const;

export interface TextBlock {
  type: 'TextBlock';
  text: string;
  wrap: true;
  weight?: 'Bolder';
  size?: 'Small' | 'Medium' | 'Large';
  color?: 'Good' | 'Attention' | 'Accent';
  isSubtle?: boolean;
  spacing?: 'None' | 'Small';
}
export interface FactSet {
  type: 'FactSet';
  facts: Array<{ title: string; value: string }>;
}
export interface Image {
  type: 'Image';
  url: string;
  altText: string;
  size: 'Large';
}
export type CardElement = TextBlock | FactSet | Image;
export interface OpenUrlAction {
  type: 'Action.OpenUrl';
  title: string;
  url: string;
}
export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: '1.5';
  msteams: { width: 'Full' };
  body: CardElement[];
  actions?: OpenUrlAction[];
}
export interface TeamsMessage {
  type: 'message';
  attachments: Array<{ contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: AdaptiveCard }>;
}

/** Backslash-escapes the markdown TextBlocks and facts understand, so user text cannot format or add links. */
export function escapeCardMarkdown(text: string): string {
  return text.replace(/[\\*_[\]~`#>]/g, '\\$&');
}

function md(raw: string, max: number): string {
  return fitEscaped(raw, max, escapeCardMarkdown);
}

const COLORS = { success: 'Good', failure: 'Attention', info: 'Accent' } as const;

interface Budget {
  facts: number;
  factValue: number;
  description: number;
}

export interface TeamsMessageOptions {
  /** The console's address: adds an "Open in vidhook" action to the event's page. */
  consoleUrl?: string;
}

// Action.OpenUrl buttons: the video, and the event's page in the console when the destination names one.
function actions(summary: EventSummary, options: TeamsMessageOptions): OpenUrlAction[] {
  const out: OpenUrlAction[] = [];
  const video = linkable(summary.link?.url, TEAMS_LIMITS.url);
  if (video && summary.link) out.push({ type: 'Action.OpenUrl', title: summary.link.label, url: video });
  const console = linkable(consoleEventUrl(options.consoleUrl, summary.id), TEAMS_LIMITS.url);
  if (console) out.push({ type: 'Action.OpenUrl', title: CONSOLE_LINK_LABEL, url: console });
  return out;
}

function card(summary: EventSummary, budget: Budget, options: TeamsMessageOptions): AdaptiveCard {
  const body: CardElement[] = [
    { type: 'TextBlock', text: md(`${summary.emoji} ${summary.headline}`, TEAMS_LIMITS.title), wrap: true, weight: 'Bolder', size: 'Medium', color: COLORS[summary.tone] },
  ];
  if (summary.subject) body.push({ type: 'TextBlock', text: md(summary.subject, TEAMS_LIMITS.title), wrap: true, weight: 'Bolder', spacing: 'None' });
  if (summary.description && budget.description > 0) body.push({ type: 'TextBlock', text: md(summary.description, budget.description), wrap: true });
  const image = linkable(summary.imageUrl, TEAMS_LIMITS.url);
  if (image) body.push({ type: 'Image', url: image, altText: truncate(summary.subject ?? summary.headline, 200), size: 'Large' });
  const facts = summary.facts.slice(0, budget.facts).map((f) => ({ title: md(f.label, TEAMS_LIMITS.factTitle), value: md(f.value, budget.factValue) }));
  if (facts.length > 0) body.push({ type: 'FactSet', facts });
  body.push({ type: 'TextBlock', text: md(`${summary.type} · event id ${summary.id} · ${summary.timestamp}`, 400), wrap: true, size: 'Small', isSubtle: true });
  const result: AdaptiveCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.5',
    msteams: { width: 'Full' },
    body,
  };
  const buttons = actions(summary, options);
  if (buttons.length > 0) result.actions = buttons;
  return result;
}

function message(content: AdaptiveCard): TeamsMessage {
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content }] };
}

export function byteSize(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** A Workflows webhook message carrying one Adaptive Card, shrunk until it fits the size limit. */
export function teamsMessage(event: Envelope, options: TeamsMessageOptions = {}): TeamsMessage {
  const summary = summarize(event);
  const budget: Budget = { facts: TEAMS_LIMITS.facts, factValue: TEAMS_LIMITS.factValue, description: TEAMS_LIMITS.description };
  for (;;) {
    const candidate = message(card(summary, budget, options));
    const fits = byteSize(candidate) <= TEAMS_LIMITS.messageBytes;
    if (fits || (budget.facts === 0 && budget.description === 0)) return candidate;
    // Multi-byte text can outgrow the budget: give up facts first, then the description.
    if (budget.factValue > 100) budget.factValue = Math.floor(budget.factValue / 2);
    else if (budget.facts > 0) budget.facts -= 1;
    else budget.description = Math.floor(budget.description / 2);
  }
}
