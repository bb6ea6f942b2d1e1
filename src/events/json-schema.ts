import { z } from 'zod';
import { dataSchemas, customDataSchema } from './schemas.js';
import { isBuiltinEventType, EVENT_DESCRIPTIONS } from './catalog.js';

// The JSON Schema of a whole envelope of one type, derived from the zod schema.
export function eventJsonSchema(type: string): Record<string, unknown> {
  const data = isBuiltinEventType(type) ? dataSchemas[type] : customDataSchema;
  const dataSchema = z.toJSONSchema(data, { io: 'input', unrepresentable: 'any' });
  delete (dataSchema as Record<string, unknown>).$schema;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: type,
    description: isBuiltinEventType(type) ? EVENT_DESCRIPTIONS[type] : 'A custom event declared in the config.',
    type: 'object',
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,128}$', description: 'Idempotency key; generated when absent.' },
      type: { const: type },
      timestamp: { type: 'string', format: 'date-time', description: 'Defaults to now.' },
      data: dataSchema,
    },
    required: ['type', 'data'],
  };
}
