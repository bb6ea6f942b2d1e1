import { eventJsonSchema, buildEnvelope, knownEventTypes } from '../../events/index.js';
import type { GlobalOptions } from '../output.js';
import { loadCliConfig } from '../context.js';

export default async function eventsSchema([type]: string[], _: unknown, globals: GlobalOptions): Promise<void> {
  const { config } = await loadCliConfig(globals);
  const types = knownEventTypes(config.customTypes);
  let schema: unknown;
  if (type) {
    // Validates the type name (exit 2 with the known types when it is unknown).
    if (!types.includes(type)) buildEnvelope({ type }, { customTypes: config.customTypes });
    schema = eventJsonSchema(type);
  } else {
    schema = Object.fromEntries(types.map((t) => [t, eventJsonSchema(t)]));
  }
  process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
}
