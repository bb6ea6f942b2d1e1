import { createRequire } from 'node:module';
import { openApiDocument } from '../../server/openapi.js';

/** Prints the daemon's OpenAPI document: the same one `vidhook serve` answers at GET /api/openapi.json. */
export default async function openapi(): Promise<void> {
  const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };
  process.stdout.write(`${JSON.stringify(openApiDocument(version), null, 2)}\n`);
}
