import { buildEnvelope } from '../../events/index.js';
import { eventData } from '../event-input.js';
import type { GlobalOptions } from '../output.js';
import { loadCliConfig } from '../context.js';

export default async function eventsSample([type]: string[], _: unknown, globals: GlobalOptions): Promise<void> {
  const { config } = await loadCliConfig(globals);
  const event = buildEnvelope({ type, data: await eventData(type, { sample: true }) }, { customTypes: config.customTypes });
  process.stdout.write(`${JSON.stringify(event, null, 2)}\n`);
}
