import type { AnyConnector } from './types.js';
import { webhook } from './webhook.js';
import { log } from './log.js';

export const CONNECTORS: readonly AnyConnector[] = [webhook, log];

export function findConnector(kind: string): AnyConnector | undefined {
  return CONNECTORS.find((c) => c.kind === kind);
}

export function connectorKinds(): string[] {
  return CONNECTORS.map((c) => c.kind);
}
