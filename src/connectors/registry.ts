import type { AnyConnector } from './types.js';
import { webhook } from './webhook.js';
import { log } from './log.js';
import { ga4 } from './ga4.js';
import { meta } from './meta.js';

export const CONNECTORS: readonly AnyConnector[] = [webhook, log, ga4, meta];

export function findConnector(kind: string): AnyConnector | undefined {
  return CONNECTORS.find((c) => c.kind === kind);
}

export function connectorKinds(): string[] {
  return CONNECTORS.map((c) => c.kind);
}
