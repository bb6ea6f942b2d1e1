import type { AnyConnector } from './core/types.js';
import { describeSettings } from './core/settings.js';
import { webhook } from './webhook/index.js';
import { zapier } from './zapier/index.js';
import { slack } from './slack/index.js';
import { teams } from './teams/index.js';
import { discord } from './discord/index.js';
import { salesforce } from './salesforce/index.js';
import { hubspot } from './hubspot/index.js';
import { wordpress } from './wordpress/index.js';
import { shopify } from './shopify/index.js';
import { ga4 } from './ga4/index.js';
import { meta } from './meta/index.js';
import { mailchimp } from './mailchimp/index.js';
import { stripe } from './stripe/index.js';
import { log } from './log/index.js';

export const CONNECTORS: readonly AnyConnector[] = [webhook, zapier, slack, teams, discord, salesforce, hubspot, wordpress, shopify, ga4, meta, mailchimp, stripe, log];

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
