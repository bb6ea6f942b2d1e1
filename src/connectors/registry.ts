import type { AnyConnector } from './types.js';
import { describeSettings } from './settings.js';
import { webhook } from './webhook.js';
import { zapier } from './zapier.js';
import { slack } from './slack.js';
import { teams } from './teams.js';
import { discord } from './discord.js';
import { salesforce } from './salesforce.js';
import { hubspot } from './hubspot.js';
import { wordpress } from './wordpress.js';
import { shopify } from './shopify.js';
import { ga4 } from './ga4.js';
import { meta } from './meta.js';
import { log } from './log.js';

export const CONNECTORS: readonly AnyConnector[] = [webhook, zapier, slack, teams, discord, salesforce, hubspot, wordpress, shopify, ga4, meta, log];

export function findConnector(kind: string): AnyConnector | undefined {
  return CONNECTORS.find((c) => c.kind === kind);
}

export function connectorKinds(): string[] {
  return CONNECTORS.map((c) => c.kind);
}

/** What `vidhook connectors` and the daemon's catalogue route show. */
export function connectorCatalogue() {
  return CONNECTORS.map((c) => ({
    kind: c.kind,
    title: c.title,
    category: c.category,
    description: c.description,
    defaultEvents: c.defaultEvents,
    settings: describeSettings(c.settings),
  }));
}
