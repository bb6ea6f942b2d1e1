import { appendFile } from 'node:fs/promises';
import { z } from 'zod';
import { defineConnector, described, forEveryEvent } from '../core/index.js';

const settings = z.object({
  path: described(z.string().trim().min(1).optional(), 'File to append NDJSON lines to; stdout when absent or "-".'),
});

export type LogSettings = z.output<typeof settings>;

export const log = defineConnector<LogSettings>({
  kind: 'log',
  title: 'Log (NDJSON)',
  category: 'webhooks',
  description: 'Writes each event as one JSON line to stdout or a file, for local debugging.',
  settings,
  defaultEvents: ['*'],
  handlers: forEveryEvent(async (event, call) => {
    // Not HTTP, so no transport can stand in for it: a dry run writes nothing.
    if (call.dryRun) return;
    const line = `${JSON.stringify(event)}\n`;
    const path = call.settings.path;
    if (!path || path === '-') process.stdout.write(line);
    else await appendFile(path, line, { mode: 0o600 });
  }),
});
